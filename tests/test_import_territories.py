"""The INSEE COG import (import_territories): the real 2026 files, then small excerpts."""

import csv
import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from initiatives.freshness import current_version
from initiatives.management.commands.load_demo import DEMO_FILE
from initiatives.models import Initiative, Territory
from tests.conftest import SHARED_DATA, make_territory

COG_DIR = SHARED_DATA / "cog-2026"
Kind = Territory.Kind


def import_cog(cog_dir):
    out = StringIO()
    call_command("import_territories", cog_dir=str(cog_dir), stdout=out)
    return out.getvalue()


def snapshot():
    return list(Territory.objects.order_by("pk").values())


@pytest.fixture(scope="class")
def real_cog_report(django_db_setup, django_db_blocker):
    """Import the real files once for a test class, in a transaction rolled back after it.

    A few places exist before the import, as the demo or a curator made them: France with a
    centre, and Hayange with a centre, a slug of its own, an odd name, no parent yet, and a
    district made by hand below it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        make_territory("france", "France", Kind.COUNTRY, code="FR", latitude=46.6, longitude=2.2)
        hayange = make_territory(
            "hayange", "Hayange (57)", Kind.COMMUNE, code="57306", latitude=49.33, longitude=6.06
        )
        make_territory("marspich", "Marspich", Kind.COMMUNE, parent=hayange)
        yield import_cog(COG_DIR)
        transaction.set_rollback(True)


# CI has ../shared beside the clone: there the real files must be read, not skipped.
@pytest.mark.skipif(
    not COG_DIR.is_dir() and os.environ.get("CI") != "true",
    reason=f"the INSEE COG 2026 files are not in {COG_DIR}",
)
class TestTheRealCog:
    @pytest.fixture
    def cog(self, real_cog_report, db):
        return real_cog_report

    def test_it_reports_what_it_created_and_updated(self, cog):
        assert "34993 created, 1 updated, 1 unchanged, 1 below them moved along." in cog

    def test_france_has_18_regions_and_101_departements(self, cog):
        france = Territory.objects.get(slug="france")
        assert (france.kind, france.code, france.country, france.depth) == (
            "country",
            "FR",
            "FR",
            0,
        )
        assert france.children.filter(kind=Kind.REGION).count() == 18
        assert Territory.objects.filter(kind=Kind.DEPARTEMENT, parent__parent=france).count() == 101

    def test_every_com_row_is_a_commune_and_nothing_else_is(self, cog):
        with (COG_DIR / "communes.csv").open(encoding="utf-8", newline="") as file:
            com_rows = sum(row["TYPECOM"] == "COM" for row in csv.DictReader(file))
        assert com_rows == 34875
        communes = Territory.objects.filter(kind=Kind.COMMUNE, depth=3)
        assert communes.count() == com_rows
        # Marseille's 1st arrondissement (ARM) and Enguinegatte (a COMD) are parts of a commune.
        assert not Territory.objects.filter(code__in=["13201", "62294"]).exists()

    def test_bruay_la_buissiere_is_in_pas_de_calais_in_hauts_de_france(self, cog):
        bruay = Territory.objects.get(kind=Kind.COMMUNE, code="62178")
        hauts_de_france = Territory.objects.get(slug="hauts-de-france")
        assert bruay in Territory.objects.subtree_of(hauts_de_france)
        assert bruay not in Territory.objects.subtree_of(Territory.objects.get(slug="grand-est"))
        assert [t.slug for t in Territory.objects.ancestors_of(bruay)] == [
            "france",
            "hauts-de-france",
            "pas-de-calais",
            "bruay-la-buissiere-62178",
        ]
        assert (bruay.name, bruay.depth) == ("Bruay-la-Buissière", 3)
        assert bruay.path == "france/hauts-de-france/pas-de-calais/bruay-la-buissiere-62178/"

    def test_names_keep_their_article_and_new_communes_have_no_centre(self, cog):
        commune = Territory.objects.get(kind=Kind.COMMUNE, code="01001")
        assert (commune.name, commune.slug) == (
            "L'Abergement-Clémenciat",
            "labergement-clemenciat-01001",
        )
        assert commune.latitude is None and commune.longitude is None

    def test_a_departement_named_like_a_territory_takes_its_code_in_its_slug(self, cog):
        slugs = dict(Territory.objects.filter(kind=Kind.DEPARTEMENT).values_list("code", "slug"))
        assert slugs["971"] == "guadeloupe-971"
        assert slugs["974"] == "la-reunion-974"
        assert slugs["75"] == "paris"
        assert Territory.objects.get(kind=Kind.REGION, code="01").slug == "guadeloupe"
        assert Territory.objects.get(kind=Kind.COMMUNE, code="75056").slug == "paris-75056"

    def test_the_import_gives_the_demo_s_slugs_to_the_demo_s_french_places(self, cog):
        territories = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["territories"]
        demo = [t for t in territories if t["country"] == "FR"]
        assert len(demo) > 130
        for place in demo:
            imported = Territory.objects.get(country="FR", kind=place["kind"], code=place["code"])
            assert imported.slug == place["slug"]

    def test_places_made_before_keep_their_id_slug_and_centre(self, cog):
        hayange = Territory.objects.get(slug="hayange")
        assert hayange.pk == Territory.objects.get(kind=Kind.COMMUNE, code="57306").pk
        assert (hayange.latitude, hayange.longitude) == (49.33, 6.06)
        assert hayange.name == "Hayange"
        assert hayange.path == "france/grand-est/moselle/hayange/"
        assert Territory.objects.get(slug="france").latitude == 46.6

    def test_a_place_below_a_moved_one_follows_it(self, cog):
        marspich = Territory.objects.get(slug="marspich")
        assert marspich.path == "france/grand-est/moselle/hayange/marspich/"
        assert marspich.depth == 4

    def test_a_second_run_changes_nothing(self, cog):
        before = snapshot()
        assert "0 created, 0 updated, 34995 unchanged" in import_cog(COG_DIR)
        assert snapshot() == before


# Real rows of the 2026 files, enough for the edge cases without the shared data.
SMALL_COG = {
    "regions.csv": """REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE
01,97105,3,GUADELOUPE,Guadeloupe,Guadeloupe
32,59350,4,HAUTS DE FRANCE,Hauts-de-France,Hauts-de-France
""",
    "departements.csv": """DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE
62,32,62041,2,PAS DE CALAIS,Pas-de-Calais,Pas-de-Calais
971,01,97105,3,GUADELOUPE,Guadeloupe,Guadeloupe
""",
    "communes.csv": """TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT
COM,62041,32,62,62D,621,1,ARRAS,Arras,Arras,6296,
COM,62178,32,62,62D,622,0,BRUAY LA BUISSIERE,Bruay-la-Buissière,Bruay-la-Buissière,6216,
COMA,62110,,,,,0,BERGUETTE,Berguette,Berguette,,62473
COMD,62294,,,,,1,ENGUINEGATTE,Enguinegatte,Enguinegatte,,62295
COM,97105,01,971,971D,9711,0,BASSE TERRE,Basse-Terre,Basse-Terre,97106,
""",
}


@pytest.fixture
def small_cog(tmp_path):
    for name, text in SMALL_COG.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_small_cog_gives_france_two_regions_two_departements_three_communes(db, small_cog):
    assert "8 created, 0 updated, 0 unchanged" in import_cog(small_cog)
    assert [t.path for t in Territory.objects.filter(kind=Kind.COMMUNE).order_by("code")] == [
        "france/hauts-de-france/pas-de-calais/arras-62041/",
        "france/hauts-de-france/pas-de-calais/bruay-la-buissiere-62178/",
        "france/guadeloupe/guadeloupe-971/basse-terre-97105/",
    ]


def test_a_missing_directory_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        import_cog(tmp_path / "nowhere")


def test_a_missing_file_is_a_clear_error_and_nothing_is_written(db, small_cog):
    (small_cog / "communes.csv").unlink()
    with pytest.raises(CommandError, match="communes.csv is missing"):
        import_cog(small_cog)
    assert not Territory.objects.exists()


def test_a_missing_column_is_a_clear_error_and_nothing_is_written(db, small_cog):
    make_territory("france", "France", Kind.COUNTRY, code="FR")
    before = snapshot()
    communes = small_cog / "communes.csv"
    communes.write_text(communes.read_text().replace("LIBELLE,CAN", "NAME,CAN"))
    with pytest.raises(CommandError, match=r"communes.csv lacks the column\(s\) LIBELLE"):
        import_cog(small_cog)
    assert snapshot() == before


def test_a_file_saved_in_latin_1_is_a_clear_error(db, small_cog):
    (small_cog / "communes.csv").write_text(SMALL_COG["communes.csv"], encoding="latin-1")
    with pytest.raises(CommandError, match="communes.csv is not a UTF-8 CSV file"):
        import_cog(small_cog)
    assert not Territory.objects.exists()


def test_a_commune_of_an_unknown_departement_is_refused(db, small_cog):
    (small_cog / "departements.csv").write_text(SMALL_COG["departements.csv"].replace("62,", "59,"))
    with pytest.raises(CommandError, match=r"Arras \(62041\) belongs to '62'"):
        import_cog(small_cog)
    assert not Territory.objects.exists()


def test_a_slug_clash_is_explained_and_rolls_the_whole_import_back(db, small_cog):
    make_territory("bruay-la-buissiere-62178", "Bruay", Kind.COMMUNE)
    with pytest.raises(CommandError, match="already used by Bruay"):
        import_cog(small_cog)
    # The régions and the département were written before the clash, then rolled back.
    assert list(Territory.objects.values_list("slug", flat=True)) == ["bruay-la-buissiere-62178"]


def test_a_renamed_departement_is_found_by_search_after_the_import(db, small_cog, commit):
    import_cog(small_cog)
    pas_de_calais = Territory.objects.get(kind=Kind.DEPARTEMENT, code="62")
    Territory.objects.filter(pk=pas_de_calais.pk).update(name="Ancien nom")
    with commit():
        maison = Initiative.objects.create(
            name="Maison des échanges",
            slug="maison-des-echanges",
            summary="Échanger plutôt qu'acheter.",
            status=Initiative.Status.PUBLISHED,
            commune=Territory.objects.get(code="62178"),
        )
    assert list(Initiative.objects.search("ancien")) == [maison]
    version = current_version()

    with commit():
        assert "1 updated" in import_cog(small_cog)

    assert list(Initiative.objects.search("calais")) == [maison]
    assert not Initiative.objects.search("ancien").exists()
    assert current_version() == version + 1
    # The place changed, not the initiative: its date of last update stays.
    assert Initiative.objects.get().updated_at == maison.updated_at
