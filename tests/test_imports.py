"""Importing initiatives: formats, mappings, places, duplicates, conflicts, atomicity."""

import gc
import io
import json
import os
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook
from reversion.models import Revision

from actors.models import Involvement
from initiatives.freshness import current_version
from initiatives.imports.engine import Action, apply_import, plan_import
from initiatives.imports.mapping import proposed_mapping
from initiatives.imports.readers import UnreadableFile, read_table
from initiatives.models import (
    ImportMapping,
    Initiative,
    SourceIdentifier,
    Territory,
)
from initiatives.search import outdated_search_documents
from tests.conftest import SHARED_DATA, data_for_the_module
from tests.forms import form_data

EXCERPT = SHARED_DATA / "gogocarto" / "transiscope-excerpt.json"
DEPARTEMENTS = SHARED_DATA / "geo" / "departements-version-simplifiee.geojson"
# CI has ../shared beside the clone: there the real files must be read, not skipped.
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir() and os.environ.get("CI") != "true",
    reason="../shared/data is not beside the project",
)


@pytest.fixture(scope="module")
def france(django_db_setup, django_db_blocker):
    """Every French commune and the demo's themes and initiatives, once for the module."""
    with data_for_the_module(django_db_blocker, lambda: call_command("load_demo", verbosity=0)):
        yield


@pytest.fixture
def site(france, db, commit):
    return commit


def run_import(content, source="fichier", mapping=None, decisions=None):
    table = read_table(content)
    plan = plan_import(table, mapping or proposed_mapping(table), source)
    return plan, apply_import(plan, decisions, file_name="test")


def imported(reference):
    return (
        SourceIdentifier.objects.select_related("initiative__commune")
        .get(source=reference.split(":")[0], identifier=reference.split(":")[1])
        .initiative
    )


# --- GoGoCarto ------------------------------------------------------------------------------


@needs_shared_data
def test_the_transiscope_excerpt_imports_with_its_quirks_then_changes_nothing(site, client):
    with site():
        plan, report = run_import(EXCERPT.read_bytes(), source="transiscope")
    assert plan.counts()["rejected"] == 0
    assert report.created == 116

    # Coordinates written as strings.
    ivry = imported("transiscope:3xt4")
    assert (ivry.latitude, ivry.longitude) == (48.81435, 2.39106)
    assert ivry.commune.code == "94041"
    # Dates in two formats, both read.
    assert SourceIdentifier.objects.get(identifier="3xt4").source_updated == "2019-06-05T23:30:00"
    assert SourceIdentifier.objects.get(identifier="3xWC").source_updated == "2017-12-04T00:00:00"
    # "adress" instead of "address".
    jardin = imported("transiscope:40OT")
    assert jardin.address == "21 Rue Trousseau"
    assert jardin.commune.code == "75056"
    # No postal code: the commune's name alone (one Rungis in France).
    assert imported("transiscope:3xkg").commune.code == "94065"
    # Categories as numbers, become themes.
    assert set(ivry.themes.values_list("slug", flat=True)) == {
        "environnement-climat",
        "alimentation-agriculture",
    }
    # HTML in descriptions becomes text; phones are private.
    assert "<p>" not in ivry.description and "&agrave;" not in ivry.description
    circul = imported("transiscope:3xWC")
    assert circul.contact.phone == "Centre: 01 42 29 78 79"
    # Drafts, with their history: nothing is public before a curator publishes.
    assert circul.status == Initiative.Status.DRAFT
    # Inserted with their search documents, which the refresh at commit then skips: they
    # must be those it would have built (the commune's name, as the file spells it).
    assert outdated_search_documents(Initiative.objects.all()) == {}
    assert ivry in Initiative.objects.search("ivry-sur-seine")
    assert Revision.objects.latest("pk").comment.startswith("Importé depuis test")

    # The same file again: nothing written, no version, no bump.
    version, revisions = current_version(), Revision.objects.count()
    with site():
        plan, report = run_import(EXCERPT.read_bytes(), source="transiscope")
    assert plan.counts()["unchanged"] == 116
    assert (report.created, report.updated) == (0, 0)
    assert current_version() == version
    assert Revision.objects.count() == revisions


def test_people_s_phones_and_e_mails_never_reach_a_public_page(site, client):
    csv = (
        "nom;résumé;téléphone;email;code insee\n"
        "Recyclerie du Marais;On répare;06 12 34 56 78;jeanne.dupont@example.org;62178\n"
    ).encode()
    with site():
        run_import(csv, mapping=None)
    initiative = Initiative.objects.get(name="Recyclerie du Marais")
    assert initiative.contact.email == "jeanne.dupont@example.org"
    Initiative.objects.filter(pk=initiative.pk).update(status="published")
    for url in (
        initiative.get_absolute_url(),
        "/initiatives/?q=marais",
        "/api/initiatives.json",
    ):
        page = client.get(url).content.decode()
        assert "jeanne.dupont" not in page and "06 12 34" not in page, url


def test_a_phone_or_an_e_mail_in_a_public_text_is_pointed_out_before_the_import(site):
    csv = (
        "nom;résumé;description\n"
        "Jardin;Appelez Paul au 06 75 01 52 73;Ouvert le samedi.\n"
        "Atelier;Un atelier;Écrire à paul@example.org\n"
        "Café;En 2019, 120 bénévoles;Rue de la Paix, 75017 Paris.\n"
    ).encode()
    table = read_table(csv)
    plan = plan_import(table, proposed_mapping(table), "tableur")
    warned = [" ".join(row.warnings) for row in plan.rows]
    assert "public" in warned[0] and "Résumé" in warned[0]
    assert "public" in warned[1] and "Description" in warned[1]
    assert "public" not in warned[2]


# --- Formats --------------------------------------------------------------------------------


def test_a_bad_row_is_rejected_with_its_line_and_reason_and_nothing_of_it_written(site):
    csv = (
        "nom,résumé,année,latitude,longitude,code insee\n"
        "Atelier vélo,Réparer ensemble,2015,50.48,2.55,62178\n"
        ",Sans nom,2015,,,\n"
        "Café des âges,Un café,1492,,,62178\n"
    ).encode()
    table = read_table(csv)
    plan = plan_import(table, proposed_mapping(table), "tableur")
    assert [(row.line, row.action) for row in plan.rows] == [
        (2, Action.NEW),
        (3, Action.REJECTED),
        (4, Action.REJECTED),
    ]
    assert plan.rows[1].reason == "Pas de nom."
    assert "1800" in plan.rows[2].reason
    # The dry run wrote nothing.
    assert not Initiative.objects.filter(name__in=["Atelier vélo", "Café des âges"]).exists()
    with site():
        report = apply_import(plan)
    assert (report.created, report.rejected) == (1, 2)
    assert not Initiative.objects.filter(name="Café des âges").exists()


def test_the_app_server_collects_cycles_again_after_an_import(site):
    # The engine turns Python's cycle collector off while it runs (for speed): a worker that
    # kept it off would grow with every request after.
    with site():
        run_import(json.dumps([{"name": "Atelier vélo"}]).encode())
    assert gc.isenabled()


def test_a_file_unreadable_half_way_writes_nothing(site, tmp_path):
    half_readable = json.dumps([{"name": "Premier"}, "pas un objet", {"name": "Troisième"}])
    with pytest.raises(UnreadableFile, match="2"):
        read_table(half_readable.encode())
    path = tmp_path / "moitie.json"
    path.write_text(half_readable)
    with pytest.raises(CommandError, match="élément 2"):
        call_command("import_initiatives", str(path), stdout=StringIO())
    assert not Initiative.objects.filter(name="Premier").exists()


def test_a_windows_1252_semicolon_csv(site):
    csv = (
        "Nom;Résumé;Commune;Code postal\n"
        "Épicerie sociale;Des prix justes;Bruay-la-Buissière;62700\n"
    )
    with site():
        run_import(csv.encode("cp1252"))
    epicerie = Initiative.objects.get(name="Épicerie sociale")
    assert epicerie.summary == "Des prix justes"
    assert epicerie.commune.code == "62178"


def test_an_xlsx_sheet(site):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "Résumé", "Latitude", "Longitude", "Financeurs"])
    sheet.append(["Tiers-lieu", "Un lieu partagé", 50.4, 2.5, "Fondation Macif; Région"])
    content = io.BytesIO()
    workbook.save(content)
    with site():
        run_import(content.getvalue())
    lieu = Initiative.objects.get(name="Tiers-lieu")
    assert lieu.latitude == 50.4
    funders = set(lieu.involvements.filter(role="funder").values_list("actor__name", flat=True))
    assert funders == {"Fondation Macif", "Région"}


def test_json_and_geojson(site):
    as_json = json.dumps([{"name": "Jardin partagé", "summary": "Cultiver ensemble"}]).encode()
    as_geojson = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "f1",
                    "properties": {"nom": "Repair café", "resume": "Réparer"},
                    "geometry": {"type": "Point", "coordinates": [2.55, 50.48]},
                }
            ],
        }
    ).encode()
    with site():
        run_import(as_json, source="json")
        run_import(as_geojson, source="geojson")
    assert Initiative.objects.get(name="Jardin partagé").summary == "Cultiver ensemble"
    repair = imported("geojson:f1")
    assert (repair.latitude, repair.longitude) == (50.48, 2.55)


# --- Places ---------------------------------------------------------------------------------


@needs_shared_data
def test_communes_are_found_by_code_by_postal_code_and_name_and_by_their_point(site):
    call_command("import_boundaries", str(DEPARTEMENTS), kind="departement", stdout=StringIO())
    csv = (
        "id;nom;insee;cp;ville;lat;lon\n"
        "1;Par le code;93066;;;;\n"
        "2;Par le code postal et le nom;;93200;St-Denis;;\n"
        "3;Par le point et le nom;;;Saint-Denis;48.936;2.357\n"
        "4;Hors de son département;;93200;Saint-Denis;50.48;2.55\n"
        "5;Nulle part;;;Ville imaginaire;;\n"
        "6;Un point seul;;;;48.86;2.35\n"
        "7;Une commune déléguée;;89190;Chigy;;\n"
        "8;Un code sans son zéro;1053;;;;\n"
    ).encode()
    table = read_table(csv)
    mapping = {
        "columns": {
            "identifier": "id",
            "name": "nom",
            "insee_code": "insee",
            "postal_code": "cp",
            "commune_name": "ville",
            "latitude": "lat",
            "longitude": "lon",
        }
    }
    plan = plan_import(table, mapping, "lieux")
    communes = [row.commune.code if row.commune else None for row in plan.rows]
    # "Saint-Denis" alone is ambiguous (Seine-Saint-Denis, La Réunion...): the point decides.
    # A point alone finds the only commune of its département (Paris); a former commune's
    # name finds the commune it merged into; a spreadsheet's 1053 is 01053.
    assert communes == ["93066", "93066", "93066", "93066", None, "75056", "89411", "01053"]
    assert "loin" in " ".join(plan.rows[3].warnings)
    assert "Aucune commune" in " ".join(plan.rows[4].warnings)


@pytest.mark.parametrize(
    "content",
    [
        b'{"type": "FeatureCollection", "features": "abc"}',
        b'{"type": "FeatureCollection", "features": [1, 2]}',
        b'{"type": "FeatureCollection", "features": [{"properties": [1]}]}',
        b'{"type": "FeatureCollection", "features": [{"properties": {}, "geometry": [1]}]}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["features-not-a-list", "features-not-objects", "properties", "geometry", "nested"],
)
def test_a_malformed_json_file_is_unreadable_with_its_reason(content):
    with pytest.raises(UnreadableFile):
        read_table(content)


def test_a_feature_whose_coordinates_are_not_a_list_has_no_point(site):
    table = read_table(
        b'{"type": "FeatureCollection", "features": [{"properties": {"name": "Jardin"},'
        b' "geometry": {"type": "Point", "coordinates": 5}}]}'
    )
    assert table.rows == [(1, {"name": "Jardin"})]


@needs_shared_data
def test_boundaries_are_stored_simplified_for_existing_territories(site):
    out = StringIO()
    call_command("import_boundaries", str(DEPARTEMENTS), kind="departement", stdout=out)
    assert "96" in out.getvalue()
    assert Territory.objects.get(kind="departement", code="62").boundary.geometry["type"] in (
        "Polygon",
        "MultiPolygon",
    )


# --- Mappings, duplicates, conflicts -----------------------------------------------------


def test_a_saved_mapping_is_reused_in_the_admin(site, curator_client, tmp_path):
    # Columns no name matches: the curator maps them once and saves the mapping.
    first = "Intitulé du projet;Texte;Où\nAtelier A;Un atelier;62178\n".encode()
    upload = SimpleUploadedFile("cress-2025.csv", first)
    response = curator_client.post(
        reverse("admin:initiatives_importrun_add"), {"file": upload, "source": "cress"}
    )
    mapping_url = response["Location"]
    data = form_data(curator_client.get(mapping_url), "importrun_form")
    data.update(
        column_name=["Intitulé du projet"],
        column_summary=["Texte"],
        column_insee_code=["Où"],
        save_as=["Tableur de la CRESS"],
    )
    preview_url = curator_client.post(mapping_url, data)["Location"]
    with site():
        assert curator_client.post(preview_url, {}).status_code == 302
    assert Initiative.objects.get(name="Atelier A").commune.code == "62178"

    second = "Intitulé du projet;Texte;Où\nAtelier B;Un autre;62178\n".encode()
    saved = ImportMapping.objects.get(name="Tableur de la CRESS")
    response = curator_client.post(
        reverse("admin:initiatives_importrun_add"),
        {"file": SimpleUploadedFile("cress-2026.csv", second), "saved_mapping": saved.pk},
    )
    mapping_page = curator_client.get(response["Location"])
    assert form_data(mapping_page, "importrun_form")["column_name"] == ["Intitulé du projet"]
    # And from the command line.
    path = tmp_path / "cress-2027.csv"
    path.write_bytes(second.replace(b"Atelier B", b"Atelier C"))
    call_command("import_initiatives", str(path), mapping="Tableur de la CRESS", stdout=StringIO())
    assert Initiative.objects.get(name="Atelier C").summary == "Un autre"


def test_possible_duplicates_are_flagged_and_each_choice_does_what_it_says(site):
    maison = Initiative.objects.get(slug="maison-des-echanges")
    csv = (
        "id;nom;site;lat;lon\n"
        f"1;Maison des échanges de Bruay;{maison.website};;\n"
        f"2;La Maison des echanges;;{maison.latitude + 0.0005};{maison.longitude}\n"
        f"3;Maison des échanges;{maison.website}/;;\n"
        "4;Une initiative nouvelle;;;\n"
    ).encode()
    table = read_table(csv)
    plan = plan_import(table, proposed_mapping(table), "doublons")
    assert [row.action for row in plan.rows] == [Action.DUPLICATE] * 3 + [Action.NEW]
    assert all(row.candidates[0].initiative == maison for row in plan.duplicates())
    decisions = {"duplicates": {2: f"merge:{maison.pk}", 3: "create", 4: "skip"}}
    with site():
        report = apply_import(plan, decisions)
    assert (report.merged, report.created, report.skipped) == (1, 2, 1)
    # Line 2, merged: the source's identifier now finds the existing initiative, unrenamed.
    assert imported("doublons:1") == maison
    assert Initiative.objects.get(pk=maison.pk).name == "Maison des échanges"
    # Line 3, created anew; line 4, skipped.
    assert Initiative.objects.filter(name="La Maison des echanges").exists()
    assert not SourceIdentifier.objects.filter(source="doublons", identifier="3").exists()


def test_a_field_a_curator_edited_is_not_overwritten_silently(site):
    first = "id;nom;résumé\n9;Jardin du quai;Un jardin partagé\n".encode()
    with site():
        run_import(first, source="quai")
    jardin = imported("quai:9")
    jardin.summary = "Un jardin partagé au bord du canal"
    with site():
        jardin.save()

    # The file brings nothing new for the summary: the curator's edit stands, no conflict.
    plan, _report = run_import(first, source="quai")
    assert plan.counts()["conflicts"] == 0
    assert imported("quai:9").summary == "Un jardin partagé au bord du canal"

    # The file changes it too: a conflict, kept unless the curator takes the file's.
    changed = "id;nom;résumé\n9;Jardin du quai;Un jardin et un poulailler\n".encode()
    plan, _report = run_import(changed, source="quai")
    [conflict] = plan.conflicted()[0].conflicts
    assert (conflict.current, conflict.incoming) == (
        "Un jardin partagé au bord du canal",
        "Un jardin et un poulailler",
    )
    assert imported("quai:9").summary == "Un jardin partagé au bord du canal"
    with site():
        run_import(changed, source="quai", decisions={"conflicts": {"2:summary": "take"}})
    assert imported("quai:9").summary == "Un jardin et un poulailler"


def test_the_admin_import_goes_through_its_three_steps(site, curator_client):
    content = (
        "Nom,Résumé,Porteur,Code INSEE\nLa Fabrique,Des ateliers,Association Fabrique,62178\n"
    ).encode()
    response = curator_client.post(
        reverse("admin:initiatives_importrun_add"),
        {"file": SimpleUploadedFile("fabrique.csv", content)},
    )
    mapping = curator_client.get(response["Location"])
    assert "La Fabrique" in mapping.content.decode()
    preview_url = curator_client.post(response["Location"], form_data(mapping, "importrun_form"))[
        "Location"
    ]
    preview = curator_client.get(preview_url).content.decode()
    assert "1 nouvelle initiative" in preview
    assert not Initiative.objects.filter(name="La Fabrique").exists()
    with site():
        curator_client.post(preview_url, {})
    fabrique = Initiative.objects.get(name="La Fabrique")
    assert fabrique.involvements.get().role == Involvement.Role.CARRIER
    assert Revision.objects.latest("pk").user.username == "curatrice"


def test_an_unreadable_upload_is_a_form_error(site, curator_client):
    response = curator_client.post(
        reverse("admin:initiatives_importrun_add"),
        {"file": SimpleUploadedFile("vide.csv", b"\n\n")},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
