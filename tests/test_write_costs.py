"""What writing costs, in queries: the admin's forms, the demo load and a bulk path.

History recording and the refresh at commit are counted in: the writes run inside `commit()`.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.models import Actor, Involvement
from initiatives.freshness import directory_changed
from initiatives.models import Initiative, Territory
from tests.forms import form_data

ADD_URL = reverse("admin:initiatives_initiative_add")


@pytest.fixture
def actors(db):
    return Actor.objects.bulk_create(
        Actor(name=f"Acteur {number}", slug=f"acteur-{number}", kind="association", sector="ess")
        for number in range(8)
    )


def new_initiative_data(territories, themes, actors, involvements):
    data = {
        "name": "Le Temps des Bouilles",
        "slug": "temps-bouilles",
        "status": "published",
        "summary": "Une ludothèque itinérante.",
        "themes": [theme.pk for theme in themes.values()],
        "commune": territories["bruay"].pk,
        "action_territories": [territories["pas-de-calais"].pk, territories["moselle"].pk],
        "latitude": "50.48",
        "longitude": "2.55",
        "involvements-TOTAL_FORMS": str(involvements),
        "involvements-INITIAL_FORMS": "0",
        "contact-TOTAL_FORMS": "0",
        "contact-INITIAL_FORMS": "0",
        "source_identifiers-TOTAL_FORMS": "0",
        "source_identifiers-INITIAL_FORMS": "0",
    }
    roles = ["carrier", "funder", "support", "taker"]
    for number in range(involvements):
        data[f"involvements-{number}-actor"] = actors[number].pk
        data[f"involvements-{number}-role"] = roles[number % 4]
        data[f"involvements-{number}-currency"] = "EUR"
        if roles[number % 4] == "taker":
            data[f"involvements-{number}-taker_kind"] = "adopter"
    return data


def queries_to_create(client, commit, data):
    with CaptureQueriesContext(connection) as queries, commit():
        response = client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return len(queries)


def test_creating_an_initiative_in_the_admin(curator_client, territories, themes, actors, commit):
    # Session and user; the admin's transaction and the revision's (savepoints here); the
    # curator's permissions (2); the form's lookups: themes, commune, territories of action,
    # slug; per involvement: its actor; the initiative; themes and territories of action
    # (read, then written: 6); per involvement: its row; the history: themes, territories of
    # action, involvements, their actors, identifiers; the log entry; the rows that still
    # exist (2), the revision, the versions; at commit: the search document (six queries),
    # then in a savepoint the version and the facet counts (counted keys, keys now: 3, the
    # new keys, the counts read, updated, created). The first time, two content types are
    # read too.
    four = queries_to_create(
        curator_client, commit, new_initiative_data(territories, themes, actors, 4)
    )
    assert four <= 60
    Initiative.objects.get(slug="temps-bouilles").delete()
    eight = queries_to_create(
        curator_client, commit, new_initiative_data(territories, themes, actors, 8)
    )
    # Two per involvement: its actor, its row; and one more if the facet counts of the first
    # were all created, none updated (bulk_create, then also bulk_update the second time).
    assert eight <= four + 4 * 2 + 1
    initiative = Initiative.objects.get(slug="temps-bouilles")
    assert initiative.involvements.count() == 8
    assert initiative.themes.count() == 3


# Committed for real, as in production: inside the test's transaction, the admin's own
# transaction would be a savepoint, two more queries.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editing_one_field_of_an_initiative(curator_client, territories, themes, actors):
    curator_client.post(ADD_URL, new_initiative_data(territories, themes, actors, 4))
    initiative = Initiative.objects.get(slug="temps-bouilles")
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    data = form_data(curator_client.get(url), "initiative_form")
    data["summary"] = ["Une ludothèque itinérante, de village en village."]
    # Session and user; BEGIN, savepoint; the curator's territories (none: national); the
    # initiative, locked, with its themes and territories of action; the curator's
    # permissions (2); the observations' indicators; its commune's country (the currency of
    # new funding rows), its département's outline (the point's warning); the form's
    # lookups: themes, commune, territories of action, slug;
    # the involvements (unchanged rows are not validated again); the update (unchanged
    # themes and territories of action are not set again); the history: involvements,
    # their actors, identifiers; the log entry; release; the rows that still exist (2), the
    # revision, the versions; COMMIT; after it: the search document (five reads, the
    # update), then in a transaction (BEGIN, COMMIT) the version and the facet counts: the
    # keys it was counted under, its stage and commune, its themes, its actors (no key
    # changed: nothing written).
    with CaptureQueriesContext(connection) as queries:
        response = curator_client.post(url, data)
    assert response.status_code == 302
    assert len(queries) <= 43
    initiative.refresh_from_db()
    assert initiative.summary.endswith("de village en village.")
    assert found_after_commit("village") == ["temps-bouilles"]


def found_after_commit(text):
    return [i.slug for i in Initiative.objects.search(text)]


def test_loading_the_demo_on_an_empty_database(db):
    # The whole demo, every French commune included. Most of the queries are the COG's
    # inserts, a batch per level and per bulk_create batch: on SQLite, whose 999-parameter
    # limit makes batches of about a hundred communes, nearly 400 of them (26 on
    # PostgreSQL). Then the demo's own rows, a read and at most a bulk insert and a bulk update
    # per model and per level of a tree; the grids the migrations ship; the revision, whose
    # actors come with their contacts and assessments with their scores (a query per actor
    # or per score each time before); one refresh of the directory.
    with CaptureQueriesContext(connection) as queries:
        call_command("load_demo", verbosity=0)
    assert len(queries) <= 600
    assert Initiative.objects.count() == 21
    assert Territory.objects.filter(kind=Territory.Kind.COMMUNE).count() > 34_000


def bulk_path(size, actor, theme):
    """What an import does: bulk_create the rows, then one call to directory_changed()."""
    initiatives = Initiative.objects.bulk_create(
        Initiative(
            name=f"Atelier {size}-{number}",
            slug=f"atelier-{size}-{number}",
            summary="Réparer ensemble.",
            status=Initiative.Status.PUBLISHED,
        )
        for number in range(size)
    )
    Initiative.themes.through.objects.bulk_create(
        Initiative.themes.through(initiative=initiative, theme=theme) for initiative in initiatives
    )
    Involvement.objects.bulk_create(
        Involvement(initiative=initiative, actor=actor, role=role)
        for initiative in initiatives
        for role in ("carrier", "support")
    )
    directory_changed([initiative.pk for initiative in initiatives])


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite splits a bulk_create in batches of 999 parameters",
)
def test_a_bulk_path_runs_as_many_queries_for_2000_rows_as_for_100(directory, themes, commit):
    # The refresh rebuilds search documents by batches of 5,000 (initiatives/search.py) and
    # counts facets by batches of 2,000 (initiatives/counts.py): constant up to there, a
    # batch of queries more per batch of rows after. The first run also creates the count of
    # a stage no initiative had yet (one INSERT the second run does not need).
    counts = {}
    for size in (100, 2000):
        with CaptureQueriesContext(connection) as queries, commit():
            bulk_path(size, directory["godin"], themes["circular"])
        counts[size] = len(queries)
    assert counts[2000] == counts[100] - 1
    assert Initiative.objects.search("atelier").count() == 2100
