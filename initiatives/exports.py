"""The directory as open data: each published initiative's public record, and the files made
of it (CSV, XLSX, pages of JSON, GeoJSON, the GoGoCarto feed).

Records are built CHUNK initiatives at a time with four queries per chunk, so that an export
streams at any size of directory. Only what the initiative's page shows goes in: no contact,
no draft, no identifier in an imported source.
"""

import csv
import io
import json
from itertools import groupby, islice
from operator import itemgetter

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from actors.models import Involvement

from .links import linkable
from .map import DECIMALS, point
from .models import COMMUNE_KINDS, Initiative, Territory

CHUNK = 2000
GEOJSON = "application/geo+json"
# The pages of /api/initiatives.json: this many initiatives, or page_size up to the limit.
PAGE_SIZE = 100
PAGE_SIZE_LIMIT = 500
# Text a spreadsheet would run as a formula (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel shows no more of a cell than this.
XLSX_CELL_LIMIT = 32_767
# Between the items of a list in one cell of a CSV or XLSX file.
LIST_SEPARATOR = "; "
# Which ancestors of a commune fill the région and département columns, in France and elsewhere
# (Québec's administrative regions and MRC, Brazil's states).
REGION_KINDS = {Territory.Kind.REGION, Territory.Kind.ADMINISTRATIVE_REGION, Territory.Kind.STATE}
DEPARTEMENT_KINDS = {Territory.Kind.DEPARTEMENT, Territory.Kind.MRC}
ROLE_ORDER = {role: position for position, role in enumerate(Involvement.Role.values)}
ROLE_COLUMNS = {
    Involvement.Role.CARRIER: "carriers",
    Involvement.Role.FUNDER: "funders",
    Involvement.Role.SUPPORT: "support_partners",
    Involvement.Role.TAKER: "takers",
}

# The columns of the CSV and XLSX files and the properties of the GeoJSON features, with what
# they hold: the XLSX "About" sheet, the /api/ page and the OpenAPI description show these.
COLUMNS = {
    "id": gettext_lazy("Identifier in the directory, the end of the initiative's address."),
    "name": gettext_lazy("Name."),
    "url": gettext_lazy("The initiative's page."),
    "summary": gettext_lazy("Summary, 280 characters at most."),
    "description": gettext_lazy("Description."),
    "stage": format_lazy(
        gettext_lazy("Stage, as a code: {codes}."), codes=", ".join(Initiative.Stage.values)
    ),
    "stage_label": gettext_lazy("Stage, in words."),
    "legal_form": format_lazy(
        gettext_lazy("Legal form, as a code: {codes}."),
        codes=", ".join(Initiative.LegalForm.values),
    ),
    "legal_form_label": gettext_lazy("Legal form, in words."),
    "year_started": gettext_lazy("Year the initiative started."),
    "address": gettext_lazy("Street address."),
    "commune": gettext_lazy("Commune (municipality outside France)."),
    "commune_code": gettext_lazy("The commune's INSEE code (geographic code outside France)."),
    "departement": gettext_lazy("Département (MRC in Québec)."),
    "departement_code": gettext_lazy("The département's code."),
    "region": gettext_lazy("Région (administrative region in Québec, state in Brazil)."),
    "region_code": gettext_lazy("The région's code."),
    "country": gettext_lazy("Country, ISO 3166-1 alpha-2 code."),
    "latitude": gettext_lazy("Latitude, WGS 84 degrees."),
    "longitude": gettext_lazy("Longitude, WGS 84 degrees."),
    "themes": gettext_lazy("Themes, separated by semicolons."),
    "action_territories": gettext_lazy("Territories of action, separated by semicolons."),
    "carriers": gettext_lazy("Porteurs, separated by semicolons."),
    "funders": gettext_lazy("Bailleurs de fonds, separated by semicolons."),
    "funding_amounts": gettext_lazy(
        "Amounts given, with their currency: “funder: amount currency; …”."
    ),
    "funding_total": gettext_lazy(
        "Sum of the known amounts, in their currency (see funding_amounts); empty when they "
        "are in several currencies."
    ),
    "support_partners": gettext_lazy("Partenaires de soutien, separated by semicolons."),
    "takers": gettext_lazy("Preneurs, separated by semicolons."),
    "website": gettext_lazy("Website."),
    "updated_at": gettext_lazy("Last update in the directory, ISO 8601."),
}
RECORD_FIELDS = [
    "pk", "slug", "name", "summary", "description", "how_it_works", "obstacles", "enablers",
    "lessons", "stage", "legal_form", "year_started", "website", "address", "latitude",
    "longitude", "updated_at", "commune__name", "commune__code", "commune__path",
    "commune__country",
]  # fmt: skip


# The CSV's last columns, the same on every row.
CSV_ABOUT_COLUMNS = {
    "licence": gettext_lazy("The data's licence and its address (CSV only)."),
    "source": gettext_lazy("Who publishes the data, and where (CSV only)."),
}


def licence_and_source(request):
    """What every export says of itself."""
    return {
        "licence": {"name": settings.DATA_LICENCE_NAME, "url": settings.DATA_LICENCE_URL},
        "source": {
            "name": settings.DATA_SOURCE_NAME,
            "url": request.build_absolute_uri(reverse("home")),
        },
    }


def public_records(initiatives, absolute_uri):
    """The public record of each of these initiatives, in the queryset's order. Their ids come
    from a server-side cursor (PostgreSQL), CHUNK at a time: a worker holds one chunk, not the
    ids of a whole export."""
    pks = initiatives.values_list("pk", flat=True).iterator(chunk_size=CHUNK)
    builder = RecordBuilder(absolute_uri)
    while chunk := list(islice(pks, CHUNK)):
        yield from builder.records(chunk)


class RecordBuilder:
    def __init__(self, absolute_uri):
        self.absolute_uri = absolute_uri
        # Régions and départements (and their like abroad) by path: a few hundred rows.
        self.areas = {
            area["path"]: area
            for area in Territory.objects.exclude(kind__in=COMMUNE_KINDS).values(
                "path", "name", "code", "kind"
            )
        }
        self.initiative_url = reverse("initiative_detail", args=["-slug-"])
        self.actor_url = reverse("actor_detail", args=["-slug-"])

    def url(self, pattern, slug):
        return self.absolute_uri(pattern.replace("-slug-", slug))

    def records(self, pks):
        rows = {
            row["pk"]: row for row in Initiative.objects.filter(pk__in=pks).values(*RECORD_FIELDS)
        }
        themes = grouped(
            Initiative.themes.through.objects.filter(initiative__in=pks)
            .order_by("initiative", "theme__position", "theme__name")
            .values_list("initiative", "theme__slug", "theme__name")
        )
        territories = grouped(
            Initiative.action_territories.through.objects.filter(initiative__in=pks)
            .order_by("initiative", "territory__name")
            .values_list("initiative", "territory__slug", "territory__name", "territory__code")
        )
        involvements = grouped(
            Involvement.objects.filter(initiative__in=pks)
            .order_by("initiative", "actor__name", "pk")
            .values_list(
                "initiative",
                "role",
                "actor__name",
                "actor__slug",
                "amount",
                "currency",
                "taker_kind",
                "start_year",
                "end_year",
                "note",
            )  # fmt: skip
        )
        for pk in pks:
            yield self.record(
                rows[pk], themes.get(pk, []), territories.get(pk, []), involvements.get(pk, [])
            )

    def record(self, row, themes, territories, involvements):
        commune_path = row["commune__path"]
        region = departement = None
        if commune_path:
            ancestors = [self.areas.get(path) for path in ancestor_paths(commune_path)]
            region = deepest(ancestors, REGION_KINDS)
            departement = deepest(ancestors, DEPARTEMENT_KINDS)
        involvements = sorted(involvements, key=lambda item: ROLE_ORDER[item[1]])
        return {
            "id": row["slug"],
            "url": self.url(self.initiative_url, row["slug"]),
            "name": row["name"],
            "summary": row["summary"],
            "description": row["description"],
            "how_it_works": row["how_it_works"],
            "obstacles": row["obstacles"],
            "enablers": row["enablers"],
            "lessons": row["lessons"],
            "stage": row["stage"],
            "stage_label": label(Initiative.Stage, row["stage"]),
            "legal_form": row["legal_form"],
            "legal_form_label": label(Initiative.LegalForm, row["legal_form"]),
            "year_started": row["year_started"],
            # Aggregators show it as a link: a javascript: URL written outside the forms
            # (a shell, an import) goes out as no website, as on the pages.
            "website": linkable(row["website"]),
            "address": row["address"],
            "commune": (
                {"name": row["commune__name"], "code": row["commune__code"]}
                if commune_path
                else None
            ),
            "departement": place(departement),
            "region": place(region),
            "country": row["commune__country"] or "",
            "latitude": rounded(row["latitude"]),
            "longitude": rounded(row["longitude"]),
            "themes": [{"slug": slug, "name": name} for _pk, slug, name in themes],
            "action_territories": [
                {"slug": slug, "name": name, "code": code} for _pk, slug, name, code in territories
            ],
            "actors": [
                {
                    "role": role,
                    "name": name,
                    "url": self.url(self.actor_url, slug),
                    "amount": float(amount) if amount is not None else None,
                    "currency": currency if amount is not None else None,
                    "taker_kind": taker_kind,
                    "start_year": start_year,
                    "end_year": end_year,
                    "note": note,
                }
                for (
                    _pk,
                    role,
                    name,
                    slug,
                    amount,
                    currency,
                    taker_kind,
                    start_year,
                    end_year,
                    note,
                ) in involvements
            ],
            "updated_at": timezone.localtime(row["updated_at"]).isoformat(),
        }


def grouped(rows):
    """{initiative pk: [its rows]} from rows ordered by initiative, the pk first."""
    return {pk: list(items) for pk, items in groupby(rows, key=itemgetter(0))}


def ancestor_paths(path):
    segments = path.rstrip("/").split("/")
    return ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]


def deepest(areas, kinds):
    found = [area for area in areas if area and area["kind"] in kinds]
    return found[-1] if found else None


def place(area):
    return {"name": area["name"], "code": area["code"]} if area else None


def label(choices, value):
    return str(choices(value).label) if value else ""


def funding_total(amounts):
    """The sum of [(name, amount, currency)], in their currency; None when there is none or
    when they are in several currencies (adding euros to Canadian dollars means nothing)."""
    if len({currency for _name, _amount, currency in amounts}) != 1:
        return None
    return round(sum(amount for _name, amount, _currency in amounts), 2)


def rounded(degrees):
    return round(degrees, DECIMALS) if degrees is not None else None


def flat(record):
    """The record as one row of scalar values, in the order of COLUMNS."""
    actors = {column: [] for column in ROLE_COLUMNS.values()}
    amounts = []
    for actor in record["actors"]:
        actors[ROLE_COLUMNS[actor["role"]]].append(actor["name"])
        if actor["amount"] is not None:
            amounts.append((actor["name"], actor["amount"], actor["currency"]))
    commune = record["commune"] or {}
    departement = record["departement"] or {}
    region = record["region"] or {}
    return {
        "id": record["id"],
        "name": record["name"],
        "url": record["url"],
        "summary": record["summary"],
        "description": record["description"],
        "stage": record["stage"],
        "stage_label": record["stage_label"],
        "legal_form": record["legal_form"],
        "legal_form_label": record["legal_form_label"],
        "year_started": record["year_started"],
        "address": record["address"],
        "commune": commune.get("name", ""),
        "commune_code": commune.get("code", ""),
        "departement": departement.get("name", ""),
        "departement_code": departement.get("code", ""),
        "region": region.get("name", ""),
        "region_code": region.get("code", ""),
        "country": record["country"],
        "latitude": record["latitude"],
        "longitude": record["longitude"],
        "themes": LIST_SEPARATOR.join(theme["name"] for theme in record["themes"]),
        "action_territories": LIST_SEPARATOR.join(
            territory["name"] for territory in record["action_territories"]
        ),
        "carriers": LIST_SEPARATOR.join(actors["carriers"]),
        "funders": LIST_SEPARATOR.join(actors["funders"]),
        "funding_amounts": LIST_SEPARATOR.join(
            f"{name}: {amount:.2f} {currency}" for name, amount, currency in amounts
        ),
        "funding_total": funding_total(amounts),
        "support_partners": LIST_SEPARATOR.join(actors["support_partners"]),
        "takers": LIST_SEPARATOR.join(actors["takers"]),
        "website": record["website"],
        "updated_at": record["updated_at"],
    }


def spreadsheet_safe(value):
    """A cell no spreadsheet will run: text that starts like a formula gets a leading
    apostrophe, which spreadsheets read as "this is text"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Echo:
    """A file-like object that hands back what is written, for streaming csv.writer's lines."""

    def write(self, value):
        return value


def csv_lines(records, about):
    """The CSV file, line by line: UTF-8 with a byte order mark, so that spreadsheets read its
    accents right. A CSV has no place for what the file is: each row ends with the licence
    and the source (CSV_ABOUT_COLUMNS), so that a saved file still says them."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow([*COLUMNS, *CSV_ABOUT_COLUMNS])
    licence = f"{about['licence']['name']} {about['licence']['url']}"
    source = f"{about['source']['name']} {about['source']['url']}"
    for record in records:
        values = [spreadsheet_safe(value) for value in flat(record).values()]
        yield writer.writerow([*values, licence, source])


def xlsx_file(records, about):
    """The XLSX workbook, as bytes: a sheet of initiatives, and one saying what the file is
    (`about`: rows of two cells) and what each column holds."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Initiatives"))
    sheet.append(list(COLUMNS))
    for record in records:
        sheet.append([xlsx_cell(value) for value in flat(record).values()])
    about_sheet = workbook.create_sheet(_("About"))
    for row in about:
        about_sheet.append([xlsx_cell(str(cell)) for cell in row])
    about_sheet.append([])
    about_sheet.append([_("Column"), _("What it holds")])
    for column, meaning in COLUMNS.items():
        about_sheet.append([column, str(meaning)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_cell(value):
    if isinstance(value, str):
        # openpyxl refuses the control characters XML forbids; Excel cuts longer cells.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
    return spreadsheet_safe(value)


def geojson_chunks(records, about):
    """A GeoJSON FeatureCollection (RFC 7946) of the records with a point, piece by piece;
    `about` (the licence and the source) goes in foreign members."""
    head = json_text({"type": "FeatureCollection", **about})
    yield head[:-1] + ',"features":['
    first = True
    for record in records:
        if record["latitude"] is None:
            continue
        properties = flat(record)
        longitude, latitude = properties.pop("longitude"), properties.pop("latitude")
        feature = {
            "type": "Feature",
            "id": record["id"],
            "geometry": point(longitude, latitude),
            "properties": properties,
        }
        yield ("" if first else ",") + json_text(feature)
        first = False
    yield "]}"


def gogocarto_chunks(records, about):
    """The GoGoCarto export's shape (`{"licence", "ontology", "data"}`, what aggregators such
    as Transiscope read), piece by piece. What GoGoCarto has no field for (the stage, the
    actors by role...) goes in further keys, which GoGoCarto keeps as custom fields and our
    own import reads (imports/mapping.py GOGOCARTO)."""
    head = json_text(
        {"licence": about["licence"]["url"], "ontology": "gogofull", "source": about["source"]}
    )
    yield head[:-1] + ',"data":['
    for number, record in enumerate(records):
        yield ("," if number else "") + json_text(gogocarto_element(record, about))
    yield "]}"


def gogocarto_element(record, about):
    commune = record["commune"] or {}
    element = {
        "id": record["id"],
        "name": record["name"],
        "abstract": record["summary"],
        "descriptionMore": record["description"],
        "howItWorks": record["how_it_works"],
        "obstacles": record["obstacles"],
        "enablers": record["enablers"],
        "lessons": record["lessons"],
        "address": {
            "streetAddress": record["address"],
            "addressLocality": commune.get("name", ""),
            "addressCountry": record["country"],
            "inseeCode": commune.get("code", ""),
        },
        "categories": [theme["name"] for theme in record["themes"]],
        "website": record["website"],
        "showUrl": record["url"],
        "updatedAt": record["updated_at"],
        "sourceKey": about["source"]["name"],
        "stage": record["stage"],
        "legalForm": record["legal_form"],
        "yearStarted": record["year_started"],
    }
    if record["latitude"] is not None:
        element["geo"] = {"latitude": record["latitude"], "longitude": record["longitude"]}
    for role, key in GOGOCARTO_ROLE_KEYS.items():
        element[key] = [actor["name"] for actor in record["actors"] if actor["role"] == role]
    return element


GOGOCARTO_ROLE_KEYS = {
    Involvement.Role.CARRIER: "carriers",
    Involvement.Role.FUNDER: "funders",
    Involvement.Role.SUPPORT: "supportPartners",
    Involvement.Role.TAKER: "takers",
}


def json_text(data):
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
