"""The translations: complete in French, compiled, and used by the pages.

The .po files are read with a small reader below (polib is not a dependency) and compared
with what Python's gettext finds in the compiled .mo files, which is what Django serves.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from initiatives.map_views import map_texts

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
FRENCH_CATALOGUES = sorted(LOCALE.glob("fr/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict = field(default_factory=dict)
    flags: set = field(default_factory=set)
    line: int = 0

    @property
    def forms(self):
        """(msgid, translation) pairs: one, or one per plural form."""
        if self.msgid_plural is None:
            return [(self.msgid, self.msgstr)]
        return [
            (self.msgid if index == 0 else self.msgid_plural, text)
            for index, text in sorted(self.msgstr_plural.items())
        ]


def read_po(path):
    """The entries of a .po file, without the header and the obsolete ("#~") ones.

    Entries are the blank-line separated blocks that gettext's tools write.
    """
    entries = []
    for number, block in blank_line_blocks(path.read_text(encoding="utf-8")):
        entry, keyword = Entry(line=number), None
        for line in block:
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                append(entry, keyword, ast.literal_eval(line))
            else:
                keyword, _, text = line.partition(" ")
                append(entry, keyword, ast.literal_eval(text))
        if keyword and entry.msgid:
            entries.append(entry)
    return entries


def blank_line_blocks(text):
    block, start = [], 1
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            if block:
                yield start, block
            block, start = [], number + 1
        else:
            block.append(line)
    if block:
        yield start, block


def append(entry, keyword, text):
    if keyword.startswith("msgstr["):
        index = int(keyword[len("msgstr[") : -1])
        entry.msgstr_plural[index] = entry.msgstr_plural.get(index, "") + text
    else:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + text)


def catalogue_id(path):
    return str(path.relative_to(LOCALE))


def compiled(path):
    with path.with_suffix(".mo").open("rb") as mo:
        return gettext.GNUTranslations(mo)


def translated(catalogue, entry, index=0):
    """What gettext returns for this entry (the plural form `index` for plural entries)."""
    if entry.msgid_plural is None:
        if entry.msgctxt is not None:
            return catalogue.pgettext(entry.msgctxt, entry.msgid)
        return catalogue.gettext(entry.msgid)
    # French and English: form 0 for n = 1, form 1 for n = 2.
    n = 1 if index == 0 else 2
    if entry.msgctxt is not None:
        return catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
    return catalogue.ngettext(entry.msgid, entry.msgid_plural, n)


def test_the_po_reader_finds_singular_plural_and_contextual_entries():
    entries = read_po(LOCALE / "fr/LC_MESSAGES/django.po")
    by_key = {(entry.msgctxt, entry.msgid): entry for entry in entries}
    assert by_key[(None, "Search")].msgstr == "Rechercher"
    assert by_key[(None, "%(counter)s initiative")].msgstr_plural == {
        0: "%(counter)s initiative",
        1: "%(counter)s initiatives",
    }
    assert by_key[("home page totals", "actor")].msgstr_plural[1] == "acteurs"
    assert len(entries) > 400


@pytest.mark.parametrize("path", FRENCH_CATALOGUES, ids=catalogue_id)
def test_every_french_entry_is_translated_and_none_is_fuzzy(path):
    entries = read_po(path)
    assert entries
    untranslated = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in entries
        if "fuzzy" in entry.flags or not all(text for _msgid, text in entry.forms)
    ]
    assert untranslated == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_no_entry_is_fuzzy(path):
    assert [entry.msgid for entry in read_po(path) if "fuzzy" in entry.flags] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_translations_keep_the_placeholders_of_their_msgid(path):
    wrong = [
        (msgid, text)
        for entry in read_po(path)
        for msgid, text in entry.forms
        if text and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(msgid))
    ]
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_the_compiled_catalogue_is_up_to_date_with_the_po_file(path):
    catalogue = compiled(path)
    stale = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in read_po(path)
        for index, (_msgid, text) in enumerate(entry.forms)
        if text and translated(catalogue, entry, index) != text
    ]
    assert stale == []


def test_the_french_msgids_of_terms_of_art_have_an_english_translation():
    english = {
        (entry.msgctxt, entry.msgid): entry
        for entry in read_po(LOCALE / "en/LC_MESSAGES/django.po")
    }
    for term in ["porteur", "bailleurs de fonds", "émergence", "arrêtée", "collectif informel"]:
        assert english[(None, term)].msgstr, term
    # English msgids fall back to themselves.
    assert english[(None, "Search")].msgstr == ""


def test_the_map_scripts_get_their_texts_translated_with_their_placeholders():
    with translation.override("fr"):
        texts = map_texts()
    assert texts["cluster"] == "%(count)s initiatives ici : zoomez pour les voir"
    assert texts["atThisPlace"] == "%(count)s initiatives à cet endroit"


@pytest.mark.django_db
def test_the_home_page_speaks_french_to_a_french_browser(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in page
    for french in [
        "Rechercher",
        "Les innovations sociales, territoire par territoire",
        "Par thème",
    ]:
        assert french in page
    for english in ["Search initiatives", "By theme", "Recently published", "Skip to content"]:
        assert english not in page


@pytest.mark.django_db
def test_the_list_page_in_french_has_no_english_left_in_its_filters(client, directory):
    page = client.get("/initiatives/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for french in ["Filtres", "Appliquer les filtres", "Effacer tous les filtres", "Trier par"]:
        assert french in page
    for english in ["Apply the filters", "Clear all filters", "Sort by", "Year started"]:
        assert english not in page


def language_link(page, language):
    return re.search(rf'<a href="([^"]+)" hreflang="{language}"', page).group(1)


@pytest.mark.django_db
def test_choosing_english_in_the_language_switch_turns_the_site_english(client, directory):
    page = client.get("/initiatives/?stage=diffusion", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_url = language_link(page, "en")
    # The same page, its filters kept, and no cookie needed.
    assert english_url == "/en/initiatives/?stage=diffusion"

    response = client.get(english_url)
    assert not response.cookies
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Apply the filters" in page
    assert "Appliquer les filtres" not in page

    french = client.get(language_link(page, "fr")).content.decode()
    assert "Appliquer les filtres" in french


@pytest.mark.django_db
def test_the_english_site_keeps_the_french_terms_of_art_with_a_gloss(client, directory):
    page = client.get("/en/initiatives/").content.decode()
    assert "Porteur (carrier)" in page
    assert "Apply the filters" in page


@pytest.mark.django_db
def test_theme_names_follow_the_language_with_the_french_name_as_fallback(
    client, directory, themes
):
    themes["circular"].name_en = "Circular economy and reuse"
    themes["circular"].save()
    english = client.get("/en/initiatives/").content.decode()
    assert "Circular economy and reuse" in english
    assert "Ressourceries" in english  # no English name: the French one
    assert "Circular economy and reuse" in client.get("/en/themes/").content.decode()
    card = client.get("/en/themes/economie-circulaire-reemploi/").content.decode()
    assert "<h1>Circular economy and reuse</h1>" in card
    features = client.get("/en/api/map/", {"bbox": "-180,-90,180,90", "zoom": 5}).json()["features"]
    fe2i = next(f for f in features if f["properties"]["name"].startswith("Florange"))
    assert "Circular economy and reuse" in fe2i["properties"]["themes"]
    french = client.get("/initiatives/").content.decode()
    assert "Circular economy and reuse" not in french
    assert "Économie circulaire &amp; réemploi" in french
