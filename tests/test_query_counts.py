"""Each public page runs a fixed number of SQL queries, whatever the number of rows.

Every test runs twice: on the small `directory`, then with a crowd of 60 more initiatives,
actors and involvements spread over the same themes and territories. The counts are for an
anonymous visitor (no session query). The detail, territory and theme pages include the
evaluation helper's templates, whose queries are named in the comments.
"""

import pytest
from django.db import connection
from django.urls import reverse

from actors.models import Involvement
from initiatives.models import Initiative
from tests.conftest import (
    create_actor,
    create_directory,
    create_initiative,
    create_territories,
    create_themes,
    data_for_the_module,
)

CROWD = 60
ALL_FILTERS = {
    "q": "ecologie",
    "theme": "economie-circulaire-reemploi",
    "territory": "france",
    "stage": ["diffusion", "consolidation"],
    "legal_form": "scic",
    "role": "funder",
    "actor": "fondation-macif",
    "year_min": "2000",
    "year_max": "2020",
    "sort": "name",
}


# Built once per size for the whole module (each test's own changes are rolled back).
@pytest.fixture(scope="module", params=["small", "crowded"])
def built(request, django_db_setup, django_db_blocker):
    with data_for_the_module(django_db_blocker, lambda: build(request.param)) as data:
        yield data


@pytest.fixture
def data(built, db):
    return built


def build(size):
    territories, themes = create_territories(), create_themes()
    directory = create_directory(territories, themes)
    directory["fe2i"].legal_form = Initiative.LegalForm.SCIC
    directory["fe2i"].save()
    network = create_initiative("Réseau national", themes=[themes["circular"]])
    network.action_territories.add(territories["france"])
    if size == "crowded":
        places = [territories["bruay"], territories["florange"]]
        theme_list = list(themes.values())
        stages = list(Initiative.Stage)
        for number in range(CROWD):
            initiative = create_initiative(
                f"Écologie industrielle {number}",
                themes=[theme_list[number % 3], theme_list[(number + 1) % 3]],
                commune=places[number % 2],
                stage=stages[number % len(stages)],
                legal_form=Initiative.LegalForm.SCIC,
                year_started=2000 + number % 20,
                replicated_from=directory["maison"] if number % 5 == 0 else None,
            )
            initiative.action_territories.add(territories["france"])
            actor = create_actor(f"Financeur {number}")
            for role, funder in [
                (Involvement.Role.FUNDER, directory["macif"]),
                (Involvement.Role.FUNDER, actor),
                (Involvement.Role.SUPPORT, directory["godin"]),
                (Involvement.Role.CARRIER, actor),
            ]:
                Involvement.objects.create(initiative=initiative, actor=funder, role=role)
            Involvement.objects.create(
                initiative=directory["maison"], actor=actor, role=Involvement.Role.SUPPORT
            )
    return directory


def test_home(client, data, django_assert_num_queries):
    # The directory version (the cache key); stored counts: the total, communes, actors;
    # themes with their stored counts; régions with their stored counts, their countries;
    # recent initiatives, their themes.
    with django_assert_num_queries(9):
        assert client.get(reverse("home")).status_code == 200
    # Until the next write, from the cache.
    with django_assert_num_queries(1):
        assert client.get(reverse("home")).status_code == 200


def test_list_without_filters(client, data, django_assert_num_queries):
    # The stored total; the directory version (the facets' cache key); facets, from the
    # stored counts: themes with their counts, stages and legal forms, the most involved
    # actors with their names, régions with their counts; the evaluation filter's grids and
    # dimensions; the page; its themes.
    with django_assert_num_queries(9):
        response = client.get(reverse("initiative_list"))
    assert response.context["page_obj"].object_list
    # The same filters again, another page: the facets and the total come from the cache, and
    # so do the evaluation filter's grids (the same on every list and map page).
    with django_assert_num_queries(3):
        client.get(reverse("initiative_list"), {"page": "2"})


def test_list_with_every_filter_and_its_facets(client, data, django_assert_num_queries):
    # The form's lookups: every theme (the facets list them), territory, actor; the directory
    # version; the facets and the total: the keys of the six sets of initiatives they count
    # (counts.tally(): one query on PostgreSQL, one per set on SQLite), the territory's
    # children and ancestors, the actors' names; the evaluation filter's grids and
    # dimensions; the page; its themes. On PostgreSQL, whether the words match before
    # looking for typos (initiatives/search.py).
    with django_assert_num_queries(11 if connection.vendor == "postgresql" else 15):
        response = client.get(reverse("initiative_list"), ALL_FILTERS)
    assert [i.slug for i in response.context["page_obj"].object_list][0] == "fe2i"
    # Other filters: the evaluation filter's grids come from the cache.
    with django_assert_num_queries(10 if connection.vendor == "postgresql" else 14):
        client.get(reverse("initiative_list"), {**ALL_FILTERS, "year_min": "1990"})


def test_list_with_invalid_filters(client, data, django_assert_num_queries):
    # Theme lookup (fails), territory lookup (fails), then as without filters.
    with django_assert_num_queries(11):
        response = client.get(reverse("initiative_list"), {"theme": "nope", "territory": "x"})
    assert response.status_code == 200


def test_initiative_detail(client, data, django_assert_max_num_queries):
    # The initiative with its commune and origin; themes; involvements with actors; the
    # commune's ancestors and the territories of action, in one query; replications;
    # related initiatives (and others of the département when fewer than six share a
    # theme); evaluation: assessments, observations.
    with django_assert_max_num_queries(9):
        response = client.get(data["maison"].get_absolute_url())
    assert response.context["roles"]


def test_territory_list(client, data, django_assert_num_queries):
    # Régions with their stored counts, countries.
    with django_assert_num_queries(2):
        assert client.get(reverse("territory_list")).status_code == 200


def test_territory_detail(client, data, django_assert_num_queries):
    # The territory; children with their stored counts; ancestors; acting networks; the
    # stored count of located initiatives, the page; the themes of both lists' cards;
    # evaluation: assessments, observations.
    with django_assert_num_queries(9):
        response = client.get(reverse("territory_detail", args=["hauts-de-france"]))
    acting, shown = response.context["acting"], response.context["page_obj"].object_list
    assert acting and shown
    # Both lists' cards show their themes, read in that one query.
    with django_assert_num_queries(0):
        assert all(card.themes.all() is not None for card in acting + shown)
        assert any(card.themes.all() for card in acting) and any(c.themes.all() for c in shown)


def test_theme_list(client, data, django_assert_num_queries):
    # Themes with their stored counts.
    with django_assert_num_queries(1):
        assert client.get(reverse("theme_list")).status_code == 200


def test_theme_detail(client, data, django_assert_num_queries):
    # The form's theme lookup, which gives the page its theme; the directory version; the
    # facets: the themes' stored counts (the theme's facet counts the whole directory), the
    # keys of the theme's initiatives, the régions, the actors' names; the evaluation
    # filter's grids; the page; its themes; evaluation: assessments.
    with django_assert_num_queries(10):
        response = client.get(reverse("theme_detail", args=["economie-circulaire-reemploi"]))
    assert response.context["page_obj"].object_list


def test_actor_list(client, data, django_assert_num_queries):
    # Count, the page with the role counts and territories.
    with django_assert_num_queries(2):
        assert client.get(reverse("actor_list"), {"role": "funder"}).status_code == 200


def test_actor_detail(client, data, django_assert_num_queries):
    # The actor; its stored counts, of initiatives and by role; the latest involvements of
    # the role it plays (of each role in one query on PostgreSQL, one per role on SQLite),
    # then with their initiatives and communes; the régions with their stored counts; the
    # territories of action.
    with django_assert_num_queries(6):
        response = client.get(data["macif"].get_absolute_url())
    assert response.context["roles"]
