"""The map: /api/map/ (server-side clusters), /api/initiatives.geojson, /carte/ and its embed."""

import json
import math
import random

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Assessment, Criterion, CriterionScore, Framework
from initiatives import freshness
from initiatives import map as map_data
from initiatives.filters import InitiativeFilter
from initiatives.models import Initiative, MapCell, Territory
from tests.conftest import make_territory

WORLD = "-180,-90,180,90"
FRANCE = "-5.5,41,10,51.5"


def map_api(client, bbox=WORLD, zoom=5, **params):
    return client.get(reverse("map_features"), {"bbox": bbox, "zoom": zoom, **params})


def features_of(response):
    assert response.status_code == 200, response.content
    return response.json()["features"]


def points_of(features):
    return [feature for feature in features if not feature["properties"]["cluster"]]


def clusters_of(features):
    return [feature for feature in features if feature["properties"]["cluster"]]


def count_of(features):
    return sum(feature["properties"].get("count", 1) for feature in features)


def scatter(count, seed, west=-4.5, south=42.5, east=8, north=51, status="published"):
    """`count` initiatives at random points of a box (France by default), in bulk, committed
    through the bulk write path."""
    rng = random.Random(seed)
    now = timezone.now()
    with TestCase.captureOnCommitCallbacks(execute=True):
        created = Initiative.objects.bulk_create(
            Initiative(
                name=f"Initiative {seed}-{index}",
                slug=f"initiative-{seed}-{index}",
                summary="Une initiative générée pour les tests de la carte.",
                status=status,
                published_at=now if status == "published" else None,
                longitude=rng.uniform(west, east),
                latitude=rng.uniform(south, north),
            )
            for index in range(count)
        )
        freshness.directory_changed([initiative.pk for initiative in created])


def inside(bbox, initiative, zoom=map_data.MAX_ZOOM):
    """Whether the answer for bbox at this zoom covers the initiative: up to MapCell.ZOOM, the
    whole squares of that zoom's grid that bbox touches (unless it crosses longitude 180)."""
    west, south, east, north = (float(value) for value in bbox.split(","))
    if zoom <= MapCell.ZOOM and west <= east:
        side = 360 / (256 * 2**MapCell.ZOOM) * 60
        west, south = math.floor(west / side) * side, math.floor(south / side) * side
        east, north = (math.floor(east / side) + 1) * side, (math.floor(north / side) + 1) * side
    if initiative.latitude is None or not south <= initiative.latitude <= north:
        return False
    if west <= east:
        return west <= initiative.longitude <= east
    return initiative.longitude >= west or initiative.longitude <= east


# --- Shape -----------------------------------------------------------------------------------


def test_the_map_answers_a_geojson_feature_collection(client, directory):
    response = map_api(client, zoom=17)

    assert response["Content-Type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        assert len(feature["geometry"]["coordinates"]) == 2


def test_coordinates_come_longitude_first(client, directory):
    features = features_of(map_api(client, zoom=17))

    maison = next(feature for feature in features if feature["id"] == "maison-des-echanges")
    assert maison["geometry"]["coordinates"] == [2.55, 50.4833]


def test_an_initiative_feature_carries_what_its_popup_shows(client, directory, themes):
    themes["employment"].position = 2
    themes["employment"].save()

    features = features_of(map_api(client, zoom=17))

    fe2i = next(feature for feature in features if feature["id"] == "fe2i")
    assert fe2i["properties"] == {
        "cluster": False,
        "slug": "fe2i",
        "name": "Florange Écologie industrielle et Insertion",
        "summary": "Résumé de Florange Écologie industrielle et Insertion",
        "url": "/initiatives/fe2i/",
        "themes": ["Économie circulaire & réemploi", "Emploi, insertion & formation"],
        "color": "#2f855a",
    }


def test_a_subtheme_initiative_takes_its_parent_themes_colour(client, directory, themes):
    themes["ressourceries"].color = "#000000"
    themes["ressourceries"].save()

    features = features_of(map_api(client, zoom=17))

    maison = next(feature for feature in features if feature["id"] == "maison-des-echanges")
    assert maison["properties"]["themes"] == ["Ressourceries"]
    assert maison["properties"]["color"] == themes["circular"].color


def test_an_initiative_without_theme_gets_the_default_colour(client, make_initiative):
    make_initiative("Sans thème", latitude=45.0, longitude=4.0)

    [feature] = features_of(map_api(client, zoom=17))

    assert feature["properties"]["themes"] == []
    assert feature["properties"]["color"] == map_data.DEFAULT_COLOR


def test_drafts_and_archived_initiatives_never_reach_the_map(client, directory, make_initiative):
    make_initiative("Brouillon placé", status="draft", latitude=48.0, longitude=2.0)
    make_initiative("Archive placée", status="archived", latitude=48.0, longitude=2.1)

    features = features_of(map_api(client, zoom=17))

    assert {feature["id"] for feature in features} == {"maison-des-echanges", "fe2i"}


# --- Clusters --------------------------------------------------------------------------------


def test_nearby_initiatives_form_one_cluster_with_their_count_and_bounds(client, make_initiative):
    for index, (latitude, longitude) in enumerate([(50.60, 3.00), (50.65, 3.10), (50.70, 3.05)]):
        make_initiative(f"Lille {index}", latitude=latitude, longitude=longitude)

    [cluster] = features_of(map_api(client, zoom=5))

    assert cluster["properties"] == {"cluster": True, "count": 3}
    assert cluster["bbox"] == [3.0, 50.6, 3.1, 50.7]
    assert cluster["geometry"]["coordinates"] == [3.05, 50.65]


def test_the_same_initiatives_come_one_by_one_once_zoomed_in(client, make_initiative):
    for index, (latitude, longitude) in enumerate([(50.60, 3.00), (50.65, 3.10), (50.70, 3.05)]):
        make_initiative(f"Lille {index}", latitude=latitude, longitude=longitude)

    features = features_of(map_api(client, bbox="2.9,50.5,3.2,50.8", zoom=12))

    assert clusters_of(features) == []
    assert len(points_of(features)) == 3


@pytest.mark.parametrize(
    ("bbox", "zoom"),
    [
        *[(WORLD, zoom) for zoom in (0, 1, 2, 3, 4, 5, 17, 20)],
        *[(FRANCE, zoom) for zoom in (3, 5, 6, 7, 8, 9, 17)],
        *[("2,48,3,49", zoom) for zoom in (6, 8, 10, 12, 13, 17)],
        *[("2.3,48.8,2.4,48.9", zoom) for zoom in (14, 15, 16)],
        *[("-2,44,5,47.5", zoom) for zoom in (5, 7, 9, 20)],
    ],
)
def test_feature_counts_add_up_to_the_initiatives_inside_the_bbox(client, db, zoom, bbox):
    scatter(150, seed=1)
    scatter(60, seed=2, west=2, south=48, east=3, north=49)
    scatter(30, seed=3, status="draft")
    published = Initiative.objects.published()
    expected = sum(inside(bbox, initiative, zoom) for initiative in published)

    response = map_api(client, bbox=bbox, zoom=zoom)

    assert count_of(features_of(response)) == expected
    collection = response.json()
    assert collection["total"] == expected


@pytest.mark.parametrize("zoom", range(MapCell.ZOOM + 1))
@pytest.mark.parametrize("bbox", [WORLD, FRANCE, "2.1,48.05,2.9,48.77"])
def test_the_stored_squares_cluster_as_the_points_do(db, zoom, bbox):
    # The published directory's clusters come from MapCell; any filter's from the points.
    scatter(400, seed=6)
    scatter(80, seed=7, west=2, south=48, east=3, north=49)
    scatter(5, seed=8, west=2.5, south=48.5, east=2.5, north=48.5)  # one point, several
    box = tuple(float(value) for value in bbox.split(","))
    published = Initiative.objects.published()
    from_points = published.filter(pk__gt=0)  # the same initiatives, not read as the directory
    assert not from_points.is_published_directory()

    stored = map_data.map_collection(published, box, zoom)
    grouped = map_data.map_collection(from_points, box, zoom)

    assert stored["total"] == grouped["total"] > 0
    assert stored["bbox"] == grouped["bbox"]
    assert len(stored["features"]) == len(grouped["features"])
    for mine, theirs in zip(stored["features"], grouped["features"], strict=True):
        assert mine["properties"] == theirs["properties"]
        assert mine.get("bbox") == theirs.get("bbox")
        assert mine["geometry"]["coordinates"] == pytest.approx(
            theirs["geometry"]["coordinates"], abs=1e-6
        )


def test_the_map_shows_a_committed_move_at_every_zoom(client, db, make_initiative):
    make_initiative("Atelier", latitude=50.48, longitude=2.55)
    initiative = make_initiative("Repair café", latitude=50.49, longitude=2.56)
    assert count_of(features_of(map_api(client, bbox="2,50,3,51", zoom=9))) == 2

    with TestCase.captureOnCommitCallbacks(execute=True):
        initiative.latitude, initiative.longitude = 45.5, -73.6
        initiative.save()

    for zoom in range(MapCell.ZOOM + 1):
        assert count_of(features_of(map_api(client, bbox="2,50,3,51", zoom=zoom))) == 1
        assert count_of(features_of(map_api(client, bbox="-74,45,-73,46", zoom=zoom))) == 1


def test_initiatives_sharing_one_point_stay_reachable_one_by_one(client, make_initiative):
    # A tiers-lieu hosting several projects: one marker whose popup lists them all.
    for name in ["Atelier vélo", "Épicerie solidaire", "Repair café"]:
        make_initiative(name, latitude=45.75, longitude=4.85)

    features = features_of(map_api(client, zoom=3))

    assert clusters_of(features) == []
    assert sorted(feature["properties"]["name"] for feature in features) == [
        "Atelier vélo",
        "Repair café",
        "Épicerie solidaire",
    ]
    assert {tuple(feature["geometry"]["coordinates"]) for feature in features} == {(4.85, 45.75)}


def test_a_very_large_stack_at_one_point_is_a_cluster_until_street_level(client, db):
    scatter(map_data.STACK_LIMIT + 1, seed=4, west=2.35, south=48.85, east=2.35, north=48.85)

    low = features_of(map_api(client, bbox=FRANCE, zoom=8))
    street = features_of(map_api(client, bbox=FRANCE, zoom=17))

    assert [feature["properties"]["count"] for feature in low] == [map_data.STACK_LIMIT + 1]
    assert len(points_of(street)) == map_data.STACK_LIMIT + 1


def test_a_bbox_crossing_longitude_180_covers_both_sides(client, make_initiative):
    make_initiative("Fidji", latitude=-17.7, longitude=178.0)
    make_initiative("Samoa", latitude=-13.8, longitude=-172.0)
    make_initiative("Paris", latitude=48.85, longitude=2.35)

    features = features_of(map_api(client, bbox="170,-30,-160,0", zoom=4))

    assert {feature["id"] for feature in features} == {"fidji", "samoa"}


def test_the_whole_of_france_at_low_zoom_stays_a_few_hundred_features(client, db):
    scatter(3000, seed=5)

    for zoom in (5, 6):
        response = map_api(client, bbox=FRANCE, zoom=zoom)
        features = features_of(response)
        assert len(features) <= 300
        assert len(response.content) < 50_000
        assert count_of(features) == 3000


def test_the_collection_gives_the_extent_of_its_features(client, directory):
    collection = map_api(client, zoom=0).json()

    assert collection["bbox"] == [2.55, 49.3236, 6.1208, 50.4833]


def test_the_collection_counts_matching_initiatives_without_a_point(client, directory, commit):
    collection = map_api(client, zoom=5).json()

    assert collection["unlocated"] == 0

    with commit():
        directory["fe2i"].latitude = directory["fe2i"].longitude = None
        directory["fe2i"].save()
    collection = map_api(client, zoom=5).json()

    assert collection["unlocated"] == 1
    assert collection["total"] == 1


def test_the_collection_counts_and_names_the_matching_initiatives_outside_the_view(
    client, directory, territories, make_initiative
):
    canada = make_territory("canada", "Canada", Territory.Kind.COUNTRY, code="CA", country="CA")
    quebec = make_territory(
        "quebec",
        "Québec",
        Territory.Kind.PROVINCE,
        canada,
        "QC",
        "CA",
        latitude=52.9,
        longitude=-73.5,
    )
    montreal = make_territory(
        "montreal", "Montréal", Territory.Kind.MUNICIPALITY, quebec, "66023", "CA"
    )
    for name in ["Cuisine collective", "Coopérative de solidarité"]:
        make_initiative(name, commune=montreal, latitude=45.5, longitude=-73.6)
    Territory.objects.filter(slug="grand-est").update(latitude=48.7, longitude=5.8)

    france = map_api(client, bbox=FRANCE, zoom=6).json()
    assert france["total"] == 2
    assert france["outside"] == {"count": 2, "places": ["Québec"], "more": False}

    # Over the Pas-de-Calais: Grand Est's Fe2i is outside too, and named first (the larger
    # count comes first; here 2 against 1).
    artois = map_api(client, bbox="2,50,3,51", zoom=9).json()
    assert artois["total"] == 1
    assert artois["outside"] == {"count": 3, "places": ["Québec", "Grand Est"], "more": False}

    everything = map_api(client, bbox=WORLD, zoom=2).json()
    assert everything["outside"] == {"count": 0, "places": [], "more": False}

    # The filters apply: only the list's results count.
    one_theme = map_api(client, bbox=FRANCE, zoom=6, q="cuisine").json()
    assert one_theme["outside"] == {"count": 1, "places": ["Québec"], "more": False}


def test_a_write_changes_the_count_outside_the_view(client, directory, commit):
    assert map_api(client, bbox=FRANCE, zoom=6).json()["outside"]["count"] == 0
    with commit():
        directory["fe2i"].latitude, directory["fe2i"].longitude = 45.5, -73.6
        directory["fe2i"].save()
    assert map_api(client, bbox=FRANCE, zoom=6).json()["outside"]["count"] == 1


# --- Filters: the list's FilterSet -----------------------------------------------------------

FILTER_COMBINATIONS = [
    {},
    {"theme": "economie-circulaire-reemploi"},
    {"theme": "emploi-insertion-formation"},
    {"theme": ["ressourceries", "emploi-insertion-formation"]},
    {"territory": "pas-de-calais"},
    {"territory": "grand-est", "theme": "emploi-insertion-formation"},
    {"stage": "diffusion"},
    {"role": "funder", "actor": "fondation-macif"},
    {"actor": "departement-du-pas-de-calais"},
    {"year_min": "2010"},
    {"year_max": "2010", "stage": ["diffusion", "consolidation"]},
    {"q": "échanges"},
    {"framework": "marqueurs-godin"},
    {"dimension": "marqueurs-godin.PRO", "dimension_min": "2"},
    {"dimension": "marqueurs-godin.PRO", "dimension_min": "3"},
    {"located": "true"},
    {"located": "false", "theme": "emploi-insertion-formation"},
]


@pytest.fixture
def crowded_directory(directory, themes, territories, make_initiative):
    """The directory plus initiatives near its own, some without a point."""
    make_initiative(
        "Ressourcerie de Bruay",
        themes=[themes["ressourceries"]],
        commune=territories["bruay"],
        latitude=50.49,
        longitude=2.56,
        stage="emergence",
        year_started=2020,
    )
    make_initiative(
        "Chantier d'insertion mosellan",
        themes=[themes["employment"]],
        commune=territories["florange"],
        latitude=49.33,
        longitude=6.13,
        stage="diffusion",
    )
    make_initiative("Réseau sans adresse", themes=[themes["employment"]], stage="diffusion")
    # Fe2i assessed with the Godin markers: 2 on every criterion of the process dimension.
    godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    assessment = Assessment.objects.create(
        initiative=directory["fe2i"],
        framework=godin,
        method=Assessment.Method.CURATOR,
        status=Assessment.Status.PUBLISHED,
    )
    level = godin.scale.levels.get(value=2)
    for criterion in Criterion.objects.filter(dimension__framework=godin, dimension__code="PRO"):
        CriterionScore.objects.create(assessment=assessment, criterion=criterion, level=level)
    return directory


@pytest.mark.parametrize("filters", FILTER_COMBINATIONS)
def test_at_the_deepest_zoom_the_map_shows_exactly_the_lists_results(
    client, crowded_directory, filters
):
    query = QueryDict(mutable=True)
    for name, value in filters.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    listed = InitiativeFilter(query, queryset=Initiative.objects.published()).qs

    collection = map_api(client, zoom=map_data.MAX_ZOOM, **filters).json()

    assert all(not feature["properties"]["cluster"] for feature in collection["features"])
    assert {feature["id"] for feature in collection["features"]} == set(
        listed.with_point().values_list("slug", flat=True)
    )
    assert collection["total"] + collection["unlocated"] == listed.count()


def test_a_theme_filter_keeps_only_that_themes_initiatives(client, crowded_directory):
    features = features_of(map_api(client, zoom=17, theme="ressourceries"))

    assert {feature["id"] for feature in features} == {
        "maison-des-echanges",
        "ressourcerie-de-bruay",
    }


def test_filters_apply_to_clusters_too(client, crowded_directory):
    everything = features_of(map_api(client, zoom=4))
    employment = features_of(map_api(client, zoom=4, theme="emploi-insertion-formation"))

    assert count_of(everything) == 4
    assert count_of(employment) == 2


# --- Caching ---------------------------------------------------------------------------------


def test_the_map_can_be_kept_by_shared_caches(client, directory):
    response = map_api(client)

    assert response["ETag"].startswith('"')
    assert "public" in response["Cache-Control"]
    assert "max-age=" in response["Cache-Control"]


def test_a_conditional_request_for_unchanged_data_gets_304(client, directory):
    etag = map_api(client)["ETag"]

    response = client.get(
        reverse("map_features"), {"bbox": WORLD, "zoom": 5}, headers={"if-none-match": etag}
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "public" in response["Cache-Control"]


def test_no_last_modified_date_that_could_go_back_in_time(client, directory):
    # Unpublishing the latest change would make an If-Modified-Since answer 304 for changed
    # data: the ETag alone decides.
    response = map_api(client)
    assert "Last-Modified" not in response
    Initiative.objects.filter(pk=directory["fe2i"].pk).unpublish()
    response = client.get(
        reverse("map_features"),
        {"bbox": WORLD, "zoom": 5},
        headers={"if-modified-since": "Sun, 22 Nov 2099 00:00:00 GMT"},
    )
    assert response.status_code == 200


def test_the_etag_depends_on_the_query(client, directory):
    assert map_api(client)["ETag"] != map_api(client, theme="ressourceries")["ETag"]
    assert (
        map_api(client, bbox=FRANCE, zoom=5)["ETag"] != map_api(client, bbox=FRANCE, zoom=6)["ETag"]
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda directory: directory["maison"].save(),
        lambda directory: Initiative.objects.filter(pk=directory["fe2i"].pk).unpublish(),
        lambda directory: Initiative.objects.filter(pk=directory["draft"].pk).publish(),
        lambda directory: directory["fe2i"].delete(),
    ],
    ids=["edited", "unpublished", "published", "deleted"],
)
def test_the_etag_changes_when_published_data_changes(client, directory, change, commit):
    before = map_api(client)["ETag"]

    with commit():
        change(directory)

    assert map_api(client)["ETag"] != before
    response = client.get(
        reverse("map_features"), {"bbox": WORLD, "zoom": 5}, headers={"if-none-match": before}
    )
    assert response.status_code == 200


# --- Bad parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"zoom": "5"}, "bbox"),
        ({"bbox": "", "zoom": "5"}, "bbox"),
        ({"bbox": "1,2,3", "zoom": "5"}, "bbox"),
        ({"bbox": "1,2,3,4,5", "zoom": "5"}, "bbox"),
        ({"bbox": "a,b,c,d", "zoom": "5"}, "bbox"),
        ({"bbox": "1;2;3;4", "zoom": "5"}, "bbox"),
        ({"bbox": "nan,0,1,1", "zoom": "5"}, "bbox"),
        ({"bbox": "0,0,inf,1", "zoom": "5"}, "bbox"),
        ({"bbox": "-181,0,1,1", "zoom": "5"}, "bbox"),
        ({"bbox": "0,0,180.5,1", "zoom": "5"}, "bbox"),
        ({"bbox": "0,-91,1,1", "zoom": "5"}, "bbox"),
        ({"bbox": "0,0,1,90.1", "zoom": "5"}, "bbox"),
        ({"bbox": "0,10,1,5", "zoom": "5"}, "bbox"),
        ({"bbox": WORLD, "zoom": "6"}, "bbox"),
        ({"bbox": FRANCE, "zoom": "10"}, "bbox"),
        ({"bbox": "179,-10,-179.9,10", "zoom": "12"}, "bbox"),
        ({"bbox": WORLD}, "zoom"),
        ({"bbox": WORLD, "zoom": ""}, "zoom"),
        ({"bbox": WORLD, "zoom": "-1"}, "zoom"),
        ({"bbox": WORLD, "zoom": "21"}, "zoom"),
        ({"bbox": WORLD, "zoom": "5.5"}, "zoom"),
        ({"bbox": WORLD, "zoom": "cinq"}, "zoom"),
        ({"bbox": WORLD, "zoom": "99999999999999999999"}, "zoom"),
        ({"bbox": WORLD, "zoom": "5", "theme": "no-such-theme"}, "theme"),
        ({"bbox": WORLD, "zoom": "5", "territory": "atlantis"}, "territory"),
        ({"bbox": WORLD, "zoom": "5", "stage": "eternal"}, "stage"),
        ({"bbox": WORLD, "zoom": "5", "role": "king"}, "role"),
        ({"bbox": WORLD, "zoom": "5", "actor": "nobody"}, "actor"),
        ({"bbox": WORLD, "zoom": "5", "year_min": "long ago"}, "year_min"),
    ],
)
def test_a_bad_parameter_gets_400_with_a_json_reason(client, directory, params, field):
    response = client.get(reverse("map_features"), params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert field in body["errors"]
    assert body["errors"][field]
    assert field in body["error"]


def test_a_bbox_too_large_for_its_zoom_says_so(client, directory):
    response = map_api(client, bbox=WORLD, zoom=6)

    assert response.json()["errors"]["bbox"] == [
        "bbox est trop grand pour le zoom 6 : zoomez ou envoyez un cadre plus petit."
    ]


def test_any_bbox_is_fine_without_clustering(client, directory):
    assert map_api(client, bbox=WORLD, zoom=map_data.CLUSTER_BELOW_ZOOM).status_code == 200


def test_every_wrong_parameter_is_reported_at_once(client, directory):
    response = client.get(reverse("map_features"), {"bbox": "x", "zoom": "99", "theme": "x"})

    assert set(response.json()["errors"]) == {"bbox", "zoom", "theme"}


def test_the_map_data_only_answers_get(client, directory):
    response = client.post(reverse("map_features") + f"?bbox={WORLD}&zoom=5")

    assert response.status_code == 405


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 400])
def test_the_map_makes_five_queries_however_many_initiatives_and_three_when_panning(
    client, django_assert_num_queries, directory, extra
):
    scatter(extra, seed=6)
    # 1 the data version (ETag), 2 the grid squares, 3 the initiatives shown one by one with
    # their themes, 4 the matching initiatives with and without a point, 5 the régions
    # holding them (stored counts).
    with django_assert_num_queries(5):
        collection = map_api(client, bbox=FRANCE, zoom=6).json()
    assert points_of(collection["features"])
    # 4 and 5 do not depend on the view: panning reads them from the cache.
    with django_assert_num_queries(3):
        map_api(client, bbox="-4,42,9,51", zoom=6)


@pytest.mark.parametrize("extra", [0, 400])
def test_the_map_makes_two_queries_at_street_level_when_panning(
    client, django_assert_num_queries, directory, extra
):
    scatter(extra, seed=7)
    map_api(client, bbox=FRANCE, zoom=18)
    # 1 the data version, 2 the initiatives with their themes.
    with django_assert_num_queries(2):
        map_api(client, bbox="-4,42,9,51", zoom=18)


def test_each_filter_needing_a_lookup_adds_one_query(
    client, django_assert_num_queries, crowded_directory
):
    # 4 as above, 5 and 6 the régions of a filtered directory (counted, then named), plus the
    # theme, territory and actor lookups of the filter form.
    with django_assert_num_queries(9):
        map_api(
            client,
            bbox=FRANCE,
            zoom=6,
            theme="ressourceries",
            territory="france",
            actor="departement-du-pas-de-calais",
        )


def test_a_304_costs_one_query(client, django_assert_num_queries, directory):
    etag = map_api(client)["ETag"]

    # The data version only.
    with django_assert_num_queries(1):
        response = client.get(
            reverse("map_features"), {"bbox": WORLD, "zoom": 5}, headers={"if-none-match": etag}
        )
    assert response.status_code == 304


def test_a_bad_request_costs_no_query(client, django_assert_num_queries, directory):
    with django_assert_num_queries(0):
        response = client.get(reverse("map_features"), {"bbox": "x", "zoom": "5"})
    assert response.status_code == 400


# --- /api/initiatives.geojson ----------------------------------------------------------------


def geojson(client, **params):
    response = client.get(reverse("initiatives_geojson"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(b"".join(response.streaming_content))


def test_the_geojson_export_lists_every_matching_initiative_with_a_point(client, crowded_directory):
    collection = geojson(client)

    assert collection["type"] == "FeatureCollection"
    assert {feature["id"] for feature in collection["features"]} == {
        "maison-des-echanges",
        "fe2i",
        "ressourcerie-de-bruay",
        "chantier-dinsertion-mosellan",
    }


def test_the_geojson_export_is_plain_for_gis_software(client, directory, themes):
    themes["employment"].position = 2  # themes come in their order
    themes["employment"].save()

    collection = geojson(client)

    fe2i = next(feature for feature in collection["features"] if feature["id"] == "fe2i")
    assert fe2i["geometry"] == {"type": "Point", "coordinates": [6.1208, 49.3236]}
    properties = fe2i["properties"]
    assert properties["name"] == "Florange Écologie industrielle et Insertion"
    assert properties["url"] == "http://testserver/initiatives/fe2i/"
    assert properties["themes"] == "Économie circulaire & réemploi; Emploi, insertion & formation"
    assert properties["commune_code"] == "57221"
    assert "latitude" not in properties  # in the geometry
    # No nested values, one type per property across features, no "crs" member (RFC 7946).
    for feature in collection["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert set(feature["properties"]) == set(properties)
        for name, value in feature["properties"].items():
            assert (
                value is None or type(value) is type(properties[name]) or (properties[name] is None)
            ), name
            assert not isinstance(value, list | dict), name


def test_the_geojson_export_applies_the_filters(client, crowded_directory):
    collection = geojson(client, territory="moselle")

    assert {feature["id"] for feature in collection["features"]} == {
        "fe2i",
        "chantier-dinsertion-mosellan",
    }


def test_the_geojson_export_rejects_bad_filters(client, directory):
    response = client.get(reverse("initiatives_geojson"), {"theme": "no-such-theme"})

    assert response.status_code == 400
    assert "theme" in response.json()["errors"]


def test_the_geojson_export_costs_a_fixed_number_of_queries_and_honours_etags(
    client, django_assert_num_queries, directory
):
    scatter(300, seed=8)
    # 1 the data version, 2 the ids, 3 régions and départements, then four per chunk of 500.
    with django_assert_num_queries(7):
        response = client.get(reverse("initiatives_geojson"))
        collection = json.loads(b"".join(response.streaming_content))
    assert len(collection["features"]) == 302

    again = client.get(reverse("initiatives_geojson"), headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


# --- Pages -----------------------------------------------------------------------------------


def test_the_map_page_shows_the_filters_legend_and_map_options(client, directory, themes):
    response = client.get(reverse("map"), {"theme": "ressourceries"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="map-config"' in html
    assert 'data-map="map-config"' in html
    assert "leaflet/leaflet.js" in html
    assert 'type="module"' in html
    assert 'name="theme"' in html
    assert themes["circular"].color in html
    config = response.context["map_config"]
    assert config["dataUrl"] == reverse("map_features")
    assert config["params"] == "theme=ressourceries"
    assert config["tiles"][0]["url"]
    assert "attribution" in config["tiles"][0]["options"]


def test_the_map_page_has_no_inline_script_or_style(client, directory):
    html = client.get(reverse("map")).content.decode()

    assert "style=" not in html
    assert "<style" not in html
    for script in html.split("<script")[1:]:
        opening = script.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening


def test_the_map_links_to_the_list_with_the_same_query(client, directory):
    response = client.get(reverse("map"), {"theme": "ressourceries", "stage": "diffusion"})

    assert response.context["list_url"] == "/initiatives/?theme=ressourceries&stage=diffusion"
    html = response.content.decode()
    assert 'href="/initiatives/?theme=ressourceries&amp;stage=diffusion"' in html


def test_the_map_page_counts_matching_initiatives_without_a_point(client, crowded_directory):
    response = client.get(reverse("map"), {"theme": "emploi-insertion-formation"})

    assert response.context["unlocated_count"] == 1
    link = response.context["unlocated_url"]
    assert link == "/initiatives/?theme=emploi-insertion-formation&located=false"
    # Without filters, from the stored counts.
    assert client.get(reverse("map")).context["unlocated_count"] == 1
    unlocated = client.get(link).context["page_obj"].object_list
    assert [initiative.latitude for initiative in unlocated] == [None]


def test_the_map_page_offers_the_link_and_iframe_code_for_its_filters(client, directory):
    response = client.get(reverse("map"), {"theme": "ressourceries"})

    assert response.context["share_url"] == "http://testserver/carte/?theme=ressourceries"
    assert response.context["embed_code"] == (
        '<iframe src="http://testserver/carte/embed/?theme=ressourceries" '
        'title="Carte des initiatives d&#x27;innovation sociale — Essaim" '
        'width="100%" height="480" loading="lazy"></iframe>'
    )


def test_only_the_embed_may_be_framed(client, directory):
    assert client.get(reverse("map"))["X-Frame-Options"] == "DENY"
    embed = client.get(reverse("map_embed"), {"theme": "ressourceries"})
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert embed.context["map_config"]["embed"] is True
    assert embed.context["map_config"]["params"] == "theme=ressourceries"
    assert 'class="site-header"' not in embed.content.decode()


def test_a_territory_filter_opens_the_map_on_its_initiatives(client, directory):
    assert client.get(reverse("map")).context["map_config"]["fitToResults"] is False
    config = client.get(reverse("map"), {"territory": "moselle"}).context["map_config"]
    assert config["fitToResults"] is True
    assert config["fallbackCenter"] is None  # no centre known: the initiatives' points only


def test_a_territory_filter_gives_the_map_its_centre_for_want_of_points(
    client, directory, territories
):
    Territory.objects.filter(slug="grand-est").update(latitude=48.7, longitude=5.6)
    config = client.get(reverse("map"), {"territory": "grand-est"}).context["map_config"]
    assert config["fallbackCenter"] == [48.7, 5.6]
    assert client.get(reverse("map")).context["map_config"]["fallbackCenter"] is None


def test_the_map_page_survives_bad_filters(client, directory):
    response = client.get(reverse("map"), {"theme": "no-such-theme", "year_min": "x"})

    assert response.status_code == 200


def test_the_map_page_queries_do_not_grow_with_initiatives(
    client, django_assert_max_num_queries, directory
):
    scatter(300, seed=9)
    with django_assert_max_num_queries(20) as captured:
        client.get(reverse("map"))
    few = len(captured)
    scatter(300, seed=10)
    with django_assert_max_num_queries(few):
        client.get(reverse("map"))


# --- Detail-page maps ------------------------------------------------------------------------


def test_an_initiative_with_a_point_gets_a_small_map(directory):
    html = render_to_string(
        "initiatives/includes/initiative_map.html", {"initiative": directory["fe2i"]}
    )

    assert "data-point-map" in html
    assert '"point": [49.3236, 6.1208]' in html
    assert "js/map_point.js" in html


def test_an_initiative_without_a_point_gets_no_map(directory):
    html = render_to_string(
        "initiatives/includes/initiative_map.html", {"initiative": directory["draft"]}
    )

    assert html.strip() == ""


def test_a_territory_page_map_shows_the_initiatives_located_there(territories):
    html = render_to_string(
        "initiatives/includes/clustered_map.html", {"territory": territories["moselle"]}
    )

    assert 'data-map="territory-map-config"' in html
    assert '"params": "territory=moselle"' in html
    assert '"fitToResults": true' in html


# --- The curators' location picker -----------------------------------------------------------


def test_the_initiative_admin_form_has_the_location_picker(curator_client, directory):
    url = reverse("admin:initiatives_initiative_change", args=[directory["maison"].pk])

    html = curator_client.get(url).content.decode()

    assert "data-location-picker" in html
    assert "leaflet/leaflet.js" in html
    assert '<script src="/static/js/location_picker.js" type="module"></script>' in html
    assert 'name="latitude"' in html
    assert 'name="longitude"' in html


def test_staff_can_read_a_communes_centre(curator_client, territories):
    url = reverse("territory_centre", args=[territories["bruay"].pk])

    assert curator_client.get(url).json() == {
        "name": "Bruay-la-Buissière",
        "latitude": 50.4833,
        "longitude": 2.55,
    }


def test_a_territory_without_centre_answers_null_coordinates(curator_client, territories):
    url = reverse("territory_centre", args=[territories["moselle"].pk])

    assert curator_client.get(url).json()["latitude"] is None


def test_the_commune_centre_lookup_is_public_for_the_proposal_form(client, territories):
    response = client.get(reverse("territory_centre", args=[territories["bruay"].pk]))

    assert response.status_code == 200
    assert response.json()["name"] == territories["bruay"].name


def test_an_unknown_territory_centre_is_404(curator_client, territories):
    assert curator_client.get(reverse("territory_centre", args=[999999])).status_code == 404
