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
    with data_for_the_module(django_db_blocker, lambda: call_command("load_demo", verbosity=0)):
        yield


@pytest.fixture
def demo(demo_data, db):
    pass


def test_loading_the_demo_twice_changes_nothing(demo):
    first = table_counts()
    snapshot = list(Initiative.objects.values().order_by("slug"))
    call_command("load_demo", verbosity=0)
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
    call_command("load_demo", "--demo-curator", verbosity=0)
    call_command("load_demo", "--demo-curator", verbosity=0)
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
        call_command("load_demo", "--demo-curator", verbosity=0)
    assert not User.objects.filter(username="curateur").exists()
