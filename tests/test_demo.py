import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from actors.models import Actor, Involvement
from initiatives.models import Initiative, Territory, Theme
from tests.conftest import data_for_the_module


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Territory, Theme, Actor, Initiative, Involvement)
    }


# Loaded once for the module (each test's own changes are rolled back).
@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    # The demo as `make run` loads it, every French commune included: once for the module.
    with data_for_the_module(django_db_blocker, lambda: call_command("load_demo", verbosity=0)):
        yield


@pytest.fixture
def demo(demo_data, db):
    pass


def test_loading_the_demo_twice_changes_nothing(demo):
    first = table_counts()
    snapshot = list(Initiative.objects.values().order_by("slug"))
    call_command("load_demo", only_demo_places=True, verbosity=0)
    assert table_counts() == first
    second = list(Initiative.objects.values().order_by("slug"))
    for before, after in zip(snapshot, second, strict=True):
        before.pop("updated_at"), after.pop("updated_at")
        assert before == after


def test_the_demo_carries_every_french_region_and_departement(demo):
    assert Territory.objects.filter(kind="region", country="FR").count() == 18
    assert Territory.objects.filter(kind="departement", country="FR").count() == 101
    assert Territory.objects.get(slug="laurentides").parent.slug == "quebec"
    assert Territory.objects.get(slug="porto-alegre").country == "BR"


def test_maison_des_echanges_is_in_pas_de_calais_in_hauts_de_france(demo):
    maison = Initiative.objects.get(slug="maison-des-echanges")
    assert maison.commune.code == "62178"
    hdf = Territory.objects.get(slug="hauts-de-france")
    assert maison in Initiative.objects.published().located_in(hdf)
    # Bruay-la-Buissière lies at about 50.48° N, 2.55° E.
    assert abs(maison.latitude - 50.48) < 0.05 and abs(maison.longitude - 2.55) < 0.05


def test_the_demo_uses_all_four_roles_and_both_kinds_of_preneur(demo):
    roles = set(Involvement.objects.values_list("role", flat=True))
    assert roles == set(Involvement.Role.values)
    taker_kinds = set(Involvement.objects.filter(role="taker").values_list("taker_kind", flat=True))
    assert taker_kinds == {"adopter", "beneficiary"}


def test_the_demo_names_the_seeds_initiatives_and_actors(demo):
    for slug in [
        "maison-des-echanges",
        "fe2i",
        "reseau-envie",
        "re-sources",
        "temps-bouilles",
        "budget-participatif-porto-alegre",
        "alter-incub",
        "fabrique-a-initiatives",
        "mulhouse-territoire-de-co-responsabilite",
        "innovations-sociales-ouvertes-pays-de-brest",
        "economie-sociale-laurentides",
    ]:
        assert Initiative.objects.filter(slug=slug, status="published").exists(), slug
    names = set(Actor.objects.values_list("name", flat=True))
    for name in [
        "Département du Pas-de-Calais",
        "Institut Godin",
        "CRES Alsace",
        "Avise",
        "Caisse des Dépôts",
        "Fondation Macif",
        "Réseau Entreprendre",
        "France Active",
        "Ville de Mulhouse",
        "Conseil de l'Europe",
        "Réseau québécois en innovation sociale (RQIS)",
        "Connexion Laurentides",
    ]:
        assert name in names, name
    macif = Actor.objects.get(name="Fondation Macif")
    assert macif.involvements.filter(role="funder").count() >= 2


def test_replications_link_back_to_their_origin(demo):
    porto_alegre = Initiative.objects.get(slug="budget-participatif-porto-alegre")
    assert porto_alegre.replications.filter(slug="budget-participatif-paris").exists()


def test_the_demo_has_hidden_initiatives_to_prove_they_stay_hidden(demo):
    assert Initiative.objects.filter(status="draft").exists()
    assert Initiative.objects.filter(status="archived").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo curator is SQLite-only")
def test_the_demo_curator_can_log_into_the_admin(db, client):
    call_command("load_demo", "--demo-curator", only_demo_places=True, verbosity=0)
    call_command("load_demo", "--demo-curator", only_demo_places=True, verbosity=0)
    response = client.post(
        "/admin/login/?next=/admin/initiatives/initiative/",
        {"username": "curateur", "password": "essaim-demo"},
    )
    assert response["Location"] == "/admin/initiatives/initiative/"
    assert client.get("/admin/initiatives/initiative/").status_code == 200
    assert User.objects.filter(username="curateur").count() == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="checks the refusal outside SQLite")
def test_the_demo_curator_is_refused_outside_a_local_sqlite_database(db):
    with pytest.raises(CommandError):
        call_command("load_demo", "--demo-curator", only_demo_places=True, verbosity=0)
    assert not User.objects.filter(username="curateur").exists()


def test_every_french_commune_exists_on_day_one(demo):
    communes = Territory.objects.filter(kind="commune", country="FR")
    assert communes.count() == 34875
    # The demo's places are among them, with the demo's centres.
    bruay = communes.get(code="62178")
    assert bruay.slug == "bruay-la-buissiere-62178" and bruay.latitude
    assert bruay.parent.code == "62" and bruay.parent.parent.code == "32"


def autocomplete(client, term):
    response = client.get(
        "/admin/autocomplete/",
        {
            "term": term,
            "app_label": "initiatives",
            "model_name": "initiative",
            "field_name": "commune",
        },
    )
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_the_commune_field_offers_communes_named_with_their_departement_and_code(
    demo, curator_client
):
    found = autocomplete(curator_client, "saint denis")
    assert "Saint-Denis (93) — 93066" in found
    assert "Saint-Denis (974) — 97411" in found
    assert all(" — " in label for label in found), "only communes"
    assert autocomplete(curator_client, "ST-DENIS") == found
    assert autocomplete(curator_client, "Bruay-la-Buiss") == ["Bruay-la-Buissière (62) — 62178"]
    assert autocomplete(curator_client, "62178") == ["Bruay-la-Buissière (62) — 62178"]
    assert autocomplete(curator_client, "Hauts-de-France") == []


@pytest.mark.parametrize("term", ["sa", "saint", "saint denis", "bruay", "75056"])
def test_the_commune_autocomplete_runs_a_fixed_number_of_queries(
    demo, curator_client, django_assert_num_queries, term
):
    # Session, user; the curator's permissions (2); the page of communes; its count (for "more
    # results").
    with django_assert_num_queries(6):
        autocomplete(curator_client, term)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plan")
def test_the_commune_search_uses_its_prefix_indexes(demo):
    query = Territory.objects.filter(kind="commune").named_like("saint denis")
    plan = query.explain()
    assert "territory_search_name" in plan and "territory_code" in plan, plan
    assert "Seq Scan" not in plan, plan
