"""One write path: every kind of write changes the map's ETag and what the search finds.

Each test names, in its comment, the mechanism it guards in initiatives/freshness.py or the
code that calls it; disconnecting that mechanism makes the test fail. Writes run inside
`commit()`, since the refresh waits for the transaction's commit (the test's own transaction
never commits); one test commits for real.
"""

import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from actors.models import Actor, Involvement
from evaluation.models import Assessment, Criterion, CriterionScore, Framework
from initiatives.freshness import current_version, directory_changed
from initiatives.imports.engine import apply_import, plan_import
from initiatives.imports.mapping import proposed_mapping
from initiatives.imports.readers import read_table
from initiatives.models import Initiative, Territory

WORLD = "-180,-90,180,90"


def etag(client, **filters):
    response = client.get(reverse("map_features"), {"bbox": WORLD, "zoom": 5, **filters})
    assert response.status_code == 200
    return response["ETag"]


def revalidated(client, tag, **filters):
    """The map's answer to a client holding `tag`: 304 if nothing changed."""
    return client.get(
        reverse("map_features"),
        {"bbox": WORLD, "zoom": 5, **filters},
        headers={"if-none-match": tag},
    )


def found(client, text):
    """The slugs the public list finds for this search."""
    response = client.get(reverse("initiative_list"), {"q": text})
    return sorted(initiative.slug for initiative in response.context["page_obj"].object_list)


def assert_changed(client, before, **filters):
    response = revalidated(client, before, **filters)
    assert response.status_code == 200, "a stale 304: the directory version did not move"
    return response


def test_saving_an_initiative(client, directory, commit):
    # watch(Initiative): post_save.
    before = etag(client)
    directory["fe2i"].name = "Symbiose de Florange"
    with commit():
        directory["fe2i"].save()
    assert_changed(client, before)
    assert found(client, "symbiose") == ["fe2i"]


def test_deleting_an_initiative(client, directory, commit):
    # watch(Initiative): pre_delete.
    before = etag(client)
    with commit():
        directory["fe2i"].delete()
    assert assert_changed(client, before).json()["total"] == 1
    assert found(client, "florange") == []


def test_saving_and_deleting_an_involvement(client, directory, make_actor, commit):
    # watch(Involvement): post_save and pre_delete, with the involvement's initiative.
    actor = make_actor("Coopérative Zébulon")
    before = etag(client)
    with commit():
        involvement = Involvement.objects.create(
            initiative=directory["maison"], actor=actor, role=Involvement.Role.SUPPORT
        )
    assert found(client, "zebulon") == ["maison-des-echanges"]
    after = assert_changed(client, before)["ETag"]
    with commit():
        involvement.delete()
    assert found(client, "zebulon") == []
    assert_changed(client, after)


def test_renaming_an_actor(client, directory, commit):
    # watch(Actor, Actor.named_initiatives): the initiatives it is involved in.
    before = etag(client)
    directory["macif"].name = "Fondation Zéphyr"
    with commit():
        directory["macif"].save()
    assert found(client, "zephyr") == ["fe2i"]
    assert found(client, "macif") == []
    assert_changed(client, before)


def test_changing_an_actor_without_renaming_it_refreshes_no_document(directory, commit):
    # Actor.named_initiatives: the funder of thousands of initiatives gets a new website
    # without thousands of search documents rebuilt; only the version moves.
    version = current_version()
    macif = Actor.objects.get(pk=directory["macif"].pk)
    macif.website = "https://www.fondation-macif.org"
    assert macif.named_initiatives() == []
    with commit():
        macif.save()
    assert current_version() == version + 1


def test_territories_of_action_from_the_initiative(client, directory, territories, commit):
    # watch_m2m(Initiative.action_territories), forward side: add, remove, clear.
    fe2i, bruay = directory["fe2i"], territories["bruay"]
    before = etag(client)
    with commit():
        fe2i.action_territories.add(bruay)
    assert found(client, "bruay") == ["fe2i", "maison-des-echanges"]
    after_add = assert_changed(client, before)["ETag"]
    with commit():
        fe2i.action_territories.remove(bruay)
    assert found(client, "bruay") == ["maison-des-echanges"]
    after_remove = assert_changed(client, after_add)["ETag"]
    with commit():
        fe2i.action_territories.add(bruay)
    with commit():
        fe2i.action_territories.clear()
    assert found(client, "bruay") == ["maison-des-echanges"]
    assert_changed(client, after_remove)


def test_territories_of_action_from_the_territory(client, directory, territories, commit):
    # watch_m2m(Initiative.action_territories), reverse side: add, remove, and clear, whose
    # initiatives are read before the clear (pre_clear gives no pk_set).
    bruay = territories["bruay"]
    before = etag(client)
    with commit():
        bruay.acting_initiatives.add(directory["fe2i"])
    assert found(client, "bruay") == ["fe2i", "maison-des-echanges"]
    after_add = assert_changed(client, before)["ETag"]
    with commit():
        bruay.acting_initiatives.remove(directory["fe2i"])
    assert found(client, "bruay") == ["maison-des-echanges"]
    with commit():
        bruay.acting_initiatives.add(directory["fe2i"])
    tag = etag(client)
    with commit():
        bruay.acting_initiatives.clear()
    assert found(client, "bruay") == ["maison-des-echanges"]
    assert_changed(client, tag)
    assert tag != after_add


def test_themes_from_both_sides(client, directory, themes, commit):
    # watch_m2m(Initiative.themes), forward and reverse: the map's theme filter follows.
    employment = {"theme": "emploi-insertion-formation"}
    before = etag(client, **employment)
    with commit():
        directory["maison"].themes.add(themes["employment"])
    assert assert_changed(client, before, **employment).json()["total"] == 2
    after = etag(client, **employment)
    with commit():
        themes["employment"].initiatives.clear()
    assert assert_changed(client, after, **employment).json()["total"] == 0


def test_recolouring_a_theme_changes_the_map_but_not_the_initiatives_dates(
    client, directory, themes, commit
):
    # watch(Theme). The initiatives' updated_at dates their own content: a theme's colour
    # is not a change of the initiative.
    before = etag(client)
    dates = dict(Initiative.objects.values_list("slug", "updated_at"))
    themes["circular"].color = "#000000"
    with commit():
        themes["circular"].save()
    assert_changed(client, before)
    assert dict(Initiative.objects.values_list("slug", "updated_at")) == dates


def test_renaming_and_moving_a_territory(client, directory, territories, commit):
    # watch(Territory, Territory.named_initiatives): the initiatives below it.
    before = etag(client, territory="grand-est")
    region = territories["hauts-de-france"]
    region.name = "Nord-Picardie"
    with commit():
        region.save()
    assert found(client, "picardie") == ["maison-des-echanges"]
    departement = territories["pas-de-calais"]
    departement.parent = territories["grand-est"]
    with commit():
        departement.save()
    assert found(client, "grand est") == ["fe2i", "maison-des-echanges"]
    assert found(client, "picardie") == []
    assert assert_changed(client, before, territory="grand-est").json()["total"] == 2


def curator_post_action(client, model_admin_url, action, objects):
    return client.post(
        reverse(model_admin_url),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )


@pytest.mark.parametrize(
    "action, found_after",
    [
        ("publish", ["fe2i", "maison-des-echanges", "projet-en-brouillon"]),
        ("unpublish", ["maison-des-echanges"]),
        ("archive", ["maison-des-echanges"]),
    ],
)
def test_the_bulk_actions_on_initiatives(curator_client, directory, commit, action, found_after):
    # Initiative.objects.publish/unpublish/archive, through freshness.update_in_bulk.
    before = etag(curator_client)
    chosen = [directory["draft"]] if action == "publish" else [directory["fe2i"]]
    with commit():
        response = curator_post_action(
            curator_client, "admin:initiatives_initiative_changelist", action, chosen
        )
    assert response.status_code == 302
    assert found(curator_client, "") == found_after
    assert_changed(curator_client, before)


def test_the_bulk_actions_on_assessments(curator_client, directory, commit):
    # Assessment.objects.publish/unpublish, through freshness.update_in_bulk: the map's
    # framework filter reads the published assessments.
    godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    with commit():
        assessment = Assessment.objects.create(
            initiative=directory["maison"], framework=godin, method=Assessment.Method.CURATOR
        )
        CriterionScore.objects.bulk_create(
            CriterionScore(assessment=assessment, criterion=criterion)
            for criterion in Criterion.objects.filter(dimension__framework=godin)
        )
    by_grid = {"framework": godin.slug}
    for action, total in [("publish", 1), ("unpublish", 0)]:
        before = etag(curator_client, **by_grid)
        with commit():
            curator_post_action(
                curator_client, "admin:evaluation_assessment_changelist", action, [assessment]
            )
        assert assert_changed(curator_client, before, **by_grid).json()["total"] == total


def test_scoring_an_assessment(client, directory, commit):
    # watch() on every evaluation model.
    godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    with commit():
        assessment = Assessment.objects.create(
            initiative=directory["maison"],
            framework=godin,
            method=Assessment.Method.CURATOR,
            status=Assessment.Status.PUBLISHED,
        )
    before = etag(client, framework=godin.slug)
    with commit():
        CriterionScore.objects.create(
            assessment=assessment,
            criterion=Criterion.objects.filter(dimension__framework=godin).first(),
        )
    assert_changed(client, before, framework=godin.slug)


def test_loaddata(client, directory, tmp_path, commit):
    # Our loaddata command: fixture rows are saved raw and skip the receivers; the command
    # hands what it loaded to directory_changed() once.
    fixture = tmp_path / "network.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "initiatives.initiative",
                    "pk": 900,
                    "fields": {
                        "name": "Réseau Quartz",
                        "slug": "reseau-quartz",
                        "summary": "Un réseau chargé depuis une fixture.",
                        "status": "published",
                        "created_at": "2024-01-01T00:00:00Z",
                        "updated_at": "2024-01-01T00:00:00Z",
                    },
                },
                {
                    "model": "actors.involvement",
                    "pk": 900,
                    "fields": {
                        "initiative": 900,
                        "actor": directory["godin"].pk,
                        "role": "support",
                    },
                },
            ]
        )
    )
    before = etag(client)
    with commit():
        call_command("loaddata", str(fixture), verbosity=0)
    assert found(client, "quartz") == ["reseau-quartz"]
    assert "reseau-quartz" in found(client, "godin")
    assert_changed(client, before)


def test_a_bulk_path_calls_directory_changed_once(client, directory, commit):
    # directory_changed(initiative_ids): the one call of bulk code after bulk_create.
    before = etag(client)
    with commit():
        created = Initiative.objects.bulk_create(
            Initiative(
                name=f"Atelier vélo {number}",
                slug=f"atelier-velo-{number}",
                summary="Réparer ensemble.",
                status=Initiative.Status.PUBLISHED,
            )
            for number in range(3)
        )
        Involvement.objects.bulk_create(
            Involvement(initiative=initiative, actor=directory["godin"], role="support")
            for initiative in created
        )
        directory_changed([initiative.pk for initiative in created])
    assert found(client, "atelier godin") == [f"atelier-velo-{n}" for n in range(3)]
    assert_changed(client, before)


def test_an_import(client, directory, commit):
    # The import engine (initiatives/imports/engine.py) writes in bulk and calls
    # directory_changed() once: new rows are found and change the map's version, and a
    # second import's changes reach the search documents, which it does not write itself.
    def run(content):
        table = read_table(content.encode())
        mapping = {**proposed_mapping(table), "status": Initiative.Status.PUBLISHED}
        with commit():
            apply_import(plan_import(table, mapping, "tableur"))

    before = etag(client)
    run("id,nom,résumé\nA1,Épicerie Quartz,Des produits en vrac.\n")
    assert found(client, "quartz") == ["epicerie-quartz"]
    after = assert_changed(client, before)["ETag"]
    run("id,nom,résumé\nA1,Épicerie Zircon,Des produits en vrac.\n")
    assert found(client, "zircon") == ["epicerie-quartz"]
    assert_changed(client, after)


def test_cached_figures_follow_every_write(client, directory, commit):
    # freshness.cached (the facets, the home page's counts): keyed on the directory version,
    # which the write bumps.
    def stage_counts():
        facets = client.get(reverse("initiative_list")).context["facets"]
        return {option.value: option.count for option in facets.stages}

    def home_total():
        return client.get(reverse("home")).context["totals"]["initiatives"]

    assert stage_counts() == {"consolidation": 1, "diffusion": 1}
    assert home_total() == 2
    directory["fe2i"].stage = Initiative.Stage.CONSOLIDATION
    with commit():
        directory["fe2i"].save()
    assert stage_counts() == {"consolidation": 2}
    with commit():
        directory["draft"].status = Initiative.Status.PUBLISHED
        directory["draft"].save()
    assert home_total() == 3


def test_one_refresh_per_transaction(
    directory, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # freshness.directory_changed: however many writes, the commit rebuilds each document
    # once and bumps the version once.
    version = current_version()
    with django_capture_on_commit_callbacks() as callbacks:
        for name in ("Un", "Deux", "Trois"):
            directory["fe2i"].name = name
            directory["fe2i"].save()
        Involvement.objects.create(
            initiative=directory["fe2i"], actor=directory["godin"], role="support"
        )
        directory["maison"].save()
    assert len(callbacks) == 5
    # The two initiatives with their communes' paths and their stored documents, their
    # themes, their territories of action, their actors; the communes' ancestors; the two
    # documents; then, in a transaction (a savepoint here, and its release), the version; the
    # facet counts: the keys the two were counted under, their stage and commune, their
    # themes, their actors; the keys that changed; the counts of these keys, read, updated,
    # and created for the new one (the new actor's role in Fe2i).
    with django_assert_num_queries(17):
        for callback in callbacks:
            callback()
    assert current_version() == version + 1


# serialized_rollback: the flush after the test would drop what migrations create.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_commit_refreshes_and_a_rollback_does_not(client, territories):
    # transaction.on_commit: the refresh runs after a real commit, and never for a rollback.
    initiative = Initiative.objects.create(
        name="Épicerie solidaire",
        slug="epicerie",
        summary="Des produits à prix justes.",
        status=Initiative.Status.PUBLISHED,
    )
    version = current_version()
    assert found(client, "epicerie") == ["epicerie"]

    with pytest.raises(RuntimeError), transaction.atomic():
        initiative.name = "Épicerie fantôme"
        initiative.save()
        raise RuntimeError
    assert current_version() == version
    assert found(client, "fantome") == []

    with transaction.atomic():
        initiative.name = "Épicerie des Prés"
        initiative.save()
    assert current_version() == version + 1
    assert found(client, "pres") == ["epicerie"]


def test_the_public_page_dates_the_last_update(client, directory):
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    updated = timezone.localtime(directory["maison"].updated_at).date().isoformat()
    assert f'datetime="{updated}' in page
    assert Territory.objects.exists()


def test_deleting_a_territory_of_action(client, directory, territories, make_initiative, commit):
    # watch(Territory), on pre_delete: the links to it go by cascade, without m2m signals.
    zorglubie = Territory.objects.create(
        name="Zorglubie", slug="zorglubie", kind=Territory.Kind.REGION, country="FR"
    )
    with commit():
        directory["maison"].action_territories.add(zorglubie)
    assert found(client, "zorglubie") == ["maison-des-echanges"]
    with commit():
        Territory.objects.get(pk=zorglubie.pk).delete()
    assert found(client, "zorglubie") == []


def test_renaming_twice_from_one_instance(client, directory, commit):
    # RemembersLoadedValues.save: the second save compares with the first one's values.
    region = Territory.objects.get(slug="hauts-de-france")
    for name, word in (("Nord-Picardie", "picardie"), ("Hauts-de-France", "hauts de france")):
        region.name = name
        with commit():
            region.save()
        assert found(client, word) == ["maison-des-echanges"], name
    assert found(client, "picardie") == []
    godin = Actor.objects.get(slug="institut-godin")
    for name in ("Institut Zorro", "Institut Godin"):
        godin.name = name
        with commit():
            godin.save()
    assert found(client, "zorro") == []
