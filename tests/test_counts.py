"""The stored facet counts (initiatives/counts.py) stay equal to the published directory's.

After each kind of write, committed through `commit()`, the FacetCount and MapCell rows are
compared with counts computed from scratch by plain queries. Disconnecting
counts.count_changes() from freshness.apply_changes(), or counts.count_map_squares() from
count_changes(), makes the tests of writes fail.
"""

import math
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from actors.models import Involvement
from initiatives import counts
from initiatives.models import FacetCount, Initiative, MapCell, Territory, Theme
from tests.conftest import create_actor, create_initiative


def stored():
    return {f"{row.facet}:{row.value}": row.count for row in FacetCount.objects.all()}


def from_scratch():
    """The published directory's counts, by queries that do not use counts.py."""
    expected = Counter()
    paths = list(Territory.objects.values_list("path", flat=True))
    regions = list(Territory.objects.filter(depth=1).values_list("path", flat=True))
    published = Initiative.objects.published()
    for initiative in published.select_related("commune").prefetch_related(
        "themes", "involvements"
    ):
        keys = {"all:", f"stage:{initiative.stage}", f"legal_form:{initiative.legal_form}"}
        if initiative.latitude is not None:
            keys.add("located:")
        for theme in initiative.themes.all():
            keys |= {f"theme:{theme.pk}", f"family:{theme.parent_id or theme.pk}"}
        involvements = initiative.involvements.all()
        keys |= {f"actor:{i.actor_id}" for i in involvements}
        keys |= {f"actor_role:{i.actor_id}:{i.role}" for i in involvements}
        if initiative.commune:
            keys.add(f"commune:{initiative.commune_id}")
            keys |= {f"territory:{p}" for p in paths if initiative.commune.path.startswith(p)}
            keys |= {
                f"actor_region:{i.actor_id}:{region}"
                for i in involvements
                for region in regions
                if initiative.commune.path.startswith(region)
            }
        expected.update(keys)
    return dict(expected)


def stored_squares():
    return {
        (cell.x, cell.y): (
            cell.count,
            pytest.approx(cell.sum_longitude),
            pytest.approx(cell.sum_latitude),
            (cell.west, cell.south, cell.east, cell.north),
        )
        for cell in MapCell.objects.all()
    }


def squares_from_scratch():
    """The map's squares at zoom MapCell.ZOOM (60 px at 256 px a tile), from the points."""
    side = 360 / (256 * 2**MapCell.ZOOM) * 60
    points = {}
    for longitude, latitude in Initiative.objects.published().values_list("longitude", "latitude"):
        if latitude is not None:
            square = (math.floor(longitude / side), math.floor(latitude / side))
            points.setdefault(square, []).append((longitude, latitude))
    return {
        square: (
            len(members),
            sum(longitude for longitude, _ in members),
            sum(latitude for _, latitude in members),
            (
                min(longitude for longitude, _ in members),
                min(latitude for _, latitude in members),
                max(longitude for longitude, _ in members),
                max(latitude for _, latitude in members),
            ),
        )
        for square, members in points.items()
    }


@pytest.fixture
def counted(directory):
    """The directory, counted as it stands (its fixture wrote it before the counts existed
    for this test's transaction)."""
    counts.rebuild()
    assert stored() == from_scratch()
    assert stored_squares() == squares_from_scratch()
    return directory


def test_the_directory_is_counted(counted, territories, themes):
    assert stored()["all:"] == 2
    assert stored()[f"territory:{territories['france'].path}"] == 2
    assert stored()[f"family:{themes['circular'].pk}"] == 2
    assert stored()[f"theme:{themes['employment'].pk}"] == 1


def change_stage(directory, **_):
    directory["fe2i"].stage = Initiative.Stage.EMERGENCE
    directory["fe2i"].save()


def create_one(themes, territories, **_):
    create_initiative("Nouvelle", themes=[themes["employment"]], commune=territories["bruay"])


def publish_the_draft(directory, **_):
    Initiative.objects.filter(pk=directory["draft"].pk).publish()


def unpublish_in_bulk(directory, **_):
    Initiative.objects.filter(pk=directory["maison"].pk).unpublish()


def delete_one(directory, **_):
    directory["fe2i"].delete()


def add_and_remove_themes(directory, themes, **_):
    directory["maison"].themes.add(themes["employment"])
    directory["fe2i"].themes.remove(themes["circular"])


def clear_a_theme_from_its_side(themes, **_):
    themes["ressourceries"].initiatives.clear()


def move_a_theme_to_another_family(themes, **_):
    themes["ressourceries"].parent = themes["employment"]
    themes["ressourceries"].save()


def delete_a_theme(themes, **_):
    themes["ressourceries"].delete()


def add_and_delete_involvements(directory, **_):
    newcomer = create_actor("Nouvelle coopérative")
    Involvement.objects.create(
        initiative=directory["fe2i"], actor=newcomer, role=Involvement.Role.SUPPORT
    )
    directory["maison"].involvements.filter(actor=directory["godin"]).delete()


def move_to_another_commune(directory, territories, **_):
    directory["maison"].commune = territories["florange"]
    directory["maison"].save()


def move_a_point(directory, **_):
    # Within its map square, then a second initiative to another square.
    directory["maison"].longitude += 0.001
    directory["maison"].save()
    directory["fe2i"].latitude, directory["fe2i"].longitude = 45.5, -73.6
    directory["fe2i"].save()


def remove_a_point(directory, **_):
    directory["maison"].latitude = directory["maison"].longitude = None
    directory["maison"].save()


def move_a_territory(territories, **_):
    # A département into another région: every initiative below it changes its territories.
    moselle = Territory.objects.get(pk=territories["florange"].parent_id)
    moselle.parent = Territory.objects.get(pk=territories["bruay"].parent.parent_id)
    moselle.save()


def import_rows(**_):
    from initiatives.imports.engine import apply_import, plan_import
    from initiatives.imports.mapping import proposed_mapping
    from initiatives.imports.readers import read_table

    table = read_table(
        "id,nom,résumé\nA1,Importée une,Un résumé.\nA2,Importée deux,Un autre.\n".encode()
    )
    mapping = {**proposed_mapping(table), "status": Initiative.Status.PUBLISHED}
    apply_import(plan_import(table, mapping, "tableur"))


WRITES = [
    change_stage,
    create_one,
    publish_the_draft,
    unpublish_in_bulk,
    delete_one,
    add_and_remove_themes,
    clear_a_theme_from_its_side,
    move_a_theme_to_another_family,
    delete_a_theme,
    add_and_delete_involvements,
    move_to_another_commune,
    move_a_point,
    remove_a_point,
    move_a_territory,
    import_rows,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_every_write_keeps_the_counts(write, counted, territories, themes, commit):
    before = stored(), stored_squares()
    with commit():
        write(directory=counted, territories=territories, themes=themes)
    assert stored() == from_scratch()
    assert stored_squares() == squares_from_scratch()
    if write not in (move_a_theme_to_another_family, move_a_territory):
        assert (stored(), stored_squares()) != before


def test_a_rolled_back_write_counts_nothing(counted, themes, commit):
    before = stored()
    with commit():
        try:
            with transaction.atomic():
                create_initiative("Annulée", themes=[themes["employment"]])
                raise RuntimeError
        except RuntimeError:
            pass
    assert stored() == before


def test_generated_directory_is_counted(territories, themes, commit):
    with commit():
        call_command("generate_directory", initiatives=40, seed=3, verbosity=0)
    assert stored() == from_scratch()
    assert stored_squares() == squares_from_scratch()
    assert stored()["all:"] == Initiative.objects.published().count() > 30


def test_refresh_directory_counts_everything_again(counted, commit):
    FacetCount.objects.update(count=99)
    MapCell.objects.update(count=99)
    with commit():
        call_command("refresh_directory", verbosity=0)
    assert stored() == from_scratch()
    assert stored_squares() == squares_from_scratch()


def test_the_broad_list_shows_what_was_committed(counted, client, themes, commit):
    # The list without filters reads its total and its facets from the stored counts.
    with commit():
        for number in range(3):
            create_initiative(
                f"Emploi {number}", themes=[themes["employment"]], stage=Initiative.Stage.EMERGENCE
            )
    response = client.get(reverse("initiative_list"))
    assert response.context["paginator"].count == 5
    stages = {option.value: option.count for option in response.context["facets"].stages}
    assert stages["emergence"] == 3
    home = client.get(reverse("home"))
    assert home.context["totals"]["initiatives"] == 5
    employment = next(t for t in home.context["themes"] if t.pk == themes["employment"].pk)
    assert employment.count == 4


def test_a_filtered_list_still_counts_its_own_rows(counted, client, themes):
    # Written without a commit, so not in the stored counts: a filtered list counts itself.
    create_initiative("Non comptée", themes=[themes["employment"]])
    response = client.get(reverse("initiative_list"), {"theme": "emploi-insertion-formation"})
    assert response.context["paginator"].count == 2
    assert Theme.objects.count() == 3
