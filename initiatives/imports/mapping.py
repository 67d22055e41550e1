"""Which column of a file becomes which field of an initiative, and how values are read.

A mapping is a dict, saved as an ImportMapping and shown on the admin's mapping page:

    {
        "columns": {target: column or [columns tried in turn]},
        "themes": {category value: theme slug},
        "status": "draft" or "published",   # for the initiatives the import creates
        "separator": ";",                    # between several actors' names in one cell
    }

The targets are the initiative's fields, the actors by role (`actors.funder`: a cell naming
one or several funders) and the private contact (`contact.phone`: never shown publicly).
A mapping is proposed from the columns' names; the GoGoCarto one is built in.
"""

import datetime
import html
import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from actors.models import Involvement
from initiatives.models import Initiative
from initiatives.search import words_of


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    synonyms: tuple = ()
    private: bool = False


def target(name, label, synonyms, private=False):
    return Target(name, label, tuple(synonyms.split("|")), private)


# The column names each target is proposed for, as column_key() writes them.
TARGETS = [
    target("identifier", _("Identifier in the source"), "id|identifiant|identifier|uid"),
    target("name", _("Name"), "name|nom|titre|intitule|nom de l initiative"),
    target("summary", _("Summary"), "summary|resume|abstract|accroche"),
    target("description", _("Description"), "description|descriptionmore|presentation"),
    target("how_it_works", _("How it works"), "comment faire|fonctionnement"),
    target("obstacles", _("Obstacles"), "freins|obstacles"),
    target("enablers", _("Enablers"), "facilitations|leviers"),
    target("lessons", _("Lessons learned"), "enseignements|lecons|lessons"),
    target("website", _("Website"), "website|site|site web|siteweb|url"),
    target("address", _("Address"), "address|adresse|address streetaddress|rue"),
    target(
        "postal_code", _("Postal code"), "code postal|cp|postal code|postalcode|address postalcode"
    ),
    target(
        "commune_name", _("Commune's name"), "commune|ville|city|localite|address addresslocality"
    ),
    target("insee_code", _("Commune's INSEE code"), "insee|code insee|code commune|codgeo"),
    target("latitude", _("Latitude"), "latitude|lat|geo latitude|geometry latitude"),
    target("longitude", _("Longitude"), "longitude|lon|lng|long|geo longitude|geometry longitude"),
    target("categories", _("Categories (themes)"), "categories|categorie|themes|theme|thematique"),
    target("stage", _("Stage"), "stade|etape|stage|maturite"),
    target("legal_form", _("Legal form"), "forme juridique|statut juridique|legal form"),
    target("year_started", _("Year started"), "annee|annee de creation|year started|creation"),
    target("siret", _("SIRET"), "siret|numero siret"),
    target("updated", _("Last update in the source"), "updatedat|updated|date de mise a jour"),
    target("actors.carrier", _("Porteurs"), "porteur|porteurs|structure porteuse"),
    target(
        "actors.funder",
        _("Bailleurs de fonds"),
        "financeur|financeurs|bailleur|bailleurs de fonds|financements",
    ),
    target(
        "actors.support",
        _("Partenaires de soutien"),
        "partenaire|partenaires|accompagnateur|soutiens",
    ),
    target("actors.taker", _("Preneurs"), "preneur|preneurs|beneficiaires"),
    target(
        "contact.name",
        _("Contact person (private)"),
        "contact|nom du contact|responsable|referent",
        private=True,
    ),
    target(
        "contact.email", _("Contact e-mail (private)"), "email|e mail|courriel|mail", private=True
    ),
    target(
        "contact.phone", _("Contact phone (private)"), "phone|telephone|tel|portable", private=True
    ),
]
TARGETS_BY_NAME = {target.name: target for target in TARGETS}
ROLES = {f"actors.{role}": role for role in Involvement.Role.values}

# Transiscope's published categories (their numbers in the GoGoCarto export), to Essaim's
# shipped themes; categories without a theme here, or themes an instance does not have, are
# reported and left out.
TRANSISCOPE_THEMES = {
    "8": "education-jeunesse",
    "19": "habitat-urbanisme",
    "21": "entrepreneuriat-social",
    "33": "environnement-climat",
    "46": "citoyennete-democratie",
    "57": "culture-sport-loisirs",
    "3": "alimentation-agriculture",
    "6": "habitat-urbanisme",
    "7": "education-jeunesse",
    "9": "education-populaire",
    "10": "economie-circulaire-reemploi",
    "11": "pratiques-culturelles-partagees",
    "12": "solidarites-lien-social",
    "14": "echanges-non-monetaires",
    "15": "emploi-insertion",
    "16": "solidarites-lien-social",
    "18": "citoyennete-democratie",
}

GOGOCARTO = {
    "columns": {
        "identifier": "id",
        "name": "name",
        "summary": "abstract",
        "description": "descriptionMore",
        "website": ["website", "site"],
        # Some sources write "adress": both are read.
        "address": ["address.streetAddress", "adress.streetAddress", "addressString", "rue"],
        "postal_code": ["address.postalCode", "adress.postalCode", "CP"],
        "commune_name": ["address.addressLocality", "adress.addressLocality", "ville"],
        "insee_code": ["address.inseeCode", "inseeCode"],
        "latitude": "geo.latitude",
        "longitude": "geo.longitude",
        "categories": "categories",
        "updated": "updatedAt",
        # What Essaim's own GoGoCarto feed adds (initiatives/exports.py gogocarto_element).
        "how_it_works": "howItWorks",
        "obstacles": "obstacles",
        "enablers": "enablers",
        "lessons": "lessons",
        "stage": "stage",
        "legal_form": "legalForm",
        "year_started": "yearStarted",
        "actors.carrier": "carriers",
        "actors.funder": "funders",
        "actors.support": "supportPartners",
        "actors.taker": "takers",
        "contact.name": "contact",
        "contact.email": ["email", "mail"],
        "contact.phone": ["phone", "telephone"],
    },
    "themes": TRANSISCOPE_THEMES,
    "status": Initiative.Status.DRAFT,
    "separator": ";",
}


def column_key(name):
    return words_of(str(name).replace(".", " "))


def proposed_mapping(table):
    """The built-in GoGoCarto mapping for its exports, else one matched on the columns' names
    ("Code postal", "adresse", "Financeurs"...)."""
    if table.is_gogocarto:
        # Only the keys this file has: a field no element carries is left alone, not emptied.
        present = set(table.columns)
        columns = {
            name: keys
            for name, keys in GOGOCARTO["columns"].items()
            if present & set(keys if isinstance(keys, list) else [keys])
        }
        return {**GOGOCARTO, "columns": columns}
    by_key = {column_key(column): column for column in table.columns}
    columns = {}
    for target in TARGETS:
        for synonym in (target.name.replace("_", " ").replace(".", " "), *target.synonyms):
            if synonym in by_key and by_key[synonym] not in columns.values():
                columns[target.name] = by_key[synonym]
                break
    return {"columns": columns, "themes": {}, "status": Initiative.Status.DRAFT, "separator": ";"}


def value_of(row, columns):
    """The first non-empty value among these columns of the row."""
    for column in columns if isinstance(columns, list) else [columns]:
        value = row.get(column)
        if value not in (None, "", []):
            return value
    return None


def text(value, limit=None):
    """A cell as plain text: HTML tags and entities removed, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ; ".join(str(item) for item in value)
    value = str(value).replace("\x00", "")
    if "<" in value:  # most cells hold no HTML: spare them the parser
        value = strip_tags(value.replace("<br>", "\n").replace("</p>", "\n"))
    value = html.unescape(value)
    value = SPACES.sub(" ", value)
    value = BLANK_LINES.sub("\n\n", value).strip()
    return value[:limit] if limit else value


SPACES = re.compile(r"[ \t\xa0]+")
BLANK_LINES = re.compile(r"\n\s*\n+")


def number(value):
    """A coordinate or an amount: a number, or a string with a dot or a decimal comma."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


DATE_FORMATS = ["%d/%m/%Y à %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y"]


def date(value):
    """A date in one of the formats sources mix ("14/03/2019 à 09:45", "2018-09-06 10:45:41",
    an ISO date), as an ISO string; None if unreadable."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    value = str(value or "").strip()
    for form in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, form).isoformat()
        except ValueError:
            continue
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


URL = re.compile(
    r"(https?://[^\s/$.?#][^\s]*"  # with its scheme
    r"|(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/[^\s]*)?)",  # a bare domain
    re.IGNORECASE,
)


def website(value):
    """The first web address in a cell ("site.fr / http://autre.org" -> https://site.fr), or
    "" for none ("manquant")."""
    match = URL.search(text(value))
    if not match:
        return ""
    url = match.group(1).rstrip(".,;")
    return url if url.lower().startswith("http") else f"https://{url}"


POSTAL_CODE = re.compile(r"\b(\d{5})\b\s*(.*)$")


CONTACT_DETAILS = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+"  # an e-mail address
    r"|(?:\+33[\s.]?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"  # a French phone number
    r"|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"  # a Québec one
)


def holds_contact_details(text):
    return bool(CONTACT_DETAILS.search(text or ""))


def five_digits(code):
    """A postal or INSEE code as written: a spreadsheet that stored 01053 as a number gives
    1053 (or 1053.0), which is 01053 again. Other codes (2A004) stay as they are."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    code = str(code if code is not None else "").strip()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code


def postal_code_and_town(address):
    """("75017", "PARIS 17") from an address ending with them: "88 rue X 75017 PARIS 17"."""
    match = POSTAL_CODE.search(address or "")
    return (match.group(1), match.group(2).strip()) if match else ("", "")


def choice(value, choices):
    """A choice's value from a cell holding its value or its label, loosely compared."""
    key = words_of(str(value or ""))
    if not key:
        return ""
    for stored, label in choices:
        if key in (words_of(stored), words_of(str(label))):
            return stored
    return None


def year(value):
    if isinstance(value, datetime.date):
        return value.year
    match = re.search(r"\b(\d{4})\b", str(value or ""))
    return int(match.group(1)) if match else None


def names(value, separator=";"):
    """The actors' names in a cell: split on the separator, new lines and " | "."""
    if value in (None, ""):
        return []
    items = (
        value
        if isinstance(value, list)
        else re.split(rf"\n|\|\s|{re.escape(separator)}", str(value))
    )
    return [name for name in (" ".join(str(item).split()) for item in items) if name]
