"""Evaluation: grids, assessments, computed scores, versions, charts, public pages, filters."""

import datetime
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.models import (
    Assessment,
    Criterion,
    CriterionScore,
    Dimension,
    Framework,
    Indicator,
    Observation,
    Scale,
)
from initiatives.filters import InitiativeFilter
from initiatives.models import Initiative

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def presence(db):
    """The 4-level presence scale shipped by the grids migration."""
    return Scale.objects.get(slug="presence-4")


@pytest.fixture
def grid(presence):
    """A small grid: three dimensions of two criteria each, on the presence scale."""
    framework = Framework.objects.create(
        slug="grille-test",
        version="1.0",
        name="Grille de test",
        kind="characterisation",
        scale=presence,
    )
    for position, (code, name) in enumerate(
        [("ANC", "Ancrage territorial"), ("GOV", "Gouvernance"), ("DIF", "Diffusion")]
    ):
        dimension = Dimension.objects.create(
            framework=framework, code=code, name=name, position=position
        )
        for number in (1, 2):
            Criterion.objects.create(
                dimension=dimension,
                code=f"{code}-{number}",
                label=f"{name}, critère {number}",
                guidance=f"Regarder {name.lower()} ({number}).",
                position=number,
            )
    return framework


def assess(initiative, framework, levels, status=Assessment.Status.PUBLISHED, date=None, **fields):
    """An assessment with levels by criterion code (None: not applicable; absent: unscored)."""
    assessment = Assessment.objects.create(
        initiative=initiative,
        framework=framework,
        date=date or datetime.date(2024, 5, 1),
        method=fields.pop("method", Assessment.Method.CURATOR),
        status=status,
        **fields,
    )
    criteria = {c.code: c for c in Criterion.objects.filter(dimension__framework=framework)}
    scale = {level.value: level for level in framework.scale.levels.all()}
    for code, value in levels.items():
        CriterionScore.objects.create(
            assessment=assessment,
            criterion=criteria[code],
            level=None if value is None else scale[value],
            evidence=f"Preuve pour {code}.",
        )
    return assessment


FULL = {"ANC-1": 3, "ANC-2": None, "GOV-1": 1, "GOV-2": 2, "DIF-1": None, "DIF-2": None}


def scores_by_code(assessment):
    codes = dict(Dimension.objects.values_list("pk", "code"))
    rows = Assessment.objects.filter(pk=assessment.pk).dimension_scores()
    return {codes[row["dimension"]]: row["score"] for row in rows}


# Constraints


def test_a_criterion_is_scored_once_per_assessment(directory, grid):
    assessment = assess(directory["maison"], grid, {"ANC-1": 2})
    criterion = Criterion.objects.get(dimension__framework=grid, code="ANC-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CriterionScore.objects.create(assessment=assessment, criterion=criterion)


def test_a_level_outside_the_grids_scale_is_refused(directory, grid):
    assessment = assess(directory["maison"], grid, {})
    spiral_level = Scale.objects.get(slug="spiral-5").levels.get(value=5)
    score = CriterionScore(
        assessment=assessment,
        criterion=Criterion.objects.get(dimension__framework=grid, code="ANC-1"),
        level=spiral_level,
    )
    with pytest.raises(ValidationError) as error:
        score.full_clean()
    assert "level" in error.value.message_dict


def test_a_criterion_of_another_grid_is_refused(directory, grid):
    assessment = assess(directory["maison"], grid, {})
    score = CriterionScore(
        assessment=assessment,
        criterion=Criterion.objects.filter(dimension__framework__slug="csess-2017").first(),
    )
    with pytest.raises(ValidationError):
        score.full_clean()


@pytest.fixture
def jobs(db):
    return Indicator.objects.get(slug="emplois-crees-etp")


def test_an_observation_with_both_subjects_is_refused(directory, territories, jobs):
    observation = Observation(
        indicator=jobs,
        initiative=directory["fe2i"],
        territory=territories["florange"],
        period_start=datetime.date(2020, 1, 1),
        period_end=datetime.date(2020, 12, 31),
        value=3,
        source="Rapport",
    )
    with pytest.raises(ValidationError):
        observation.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        observation.save()


def test_an_observation_with_no_subject_is_refused(db, jobs):
    observation = Observation(
        indicator=jobs,
        period_start=datetime.date(2020, 1, 1),
        period_end=datetime.date(2020, 12, 31),
        value=3,
        source="Rapport",
    )
    with pytest.raises(ValidationError) as error:
        observation.full_clean()
    assert "une seule initiative ou sur un seul territoire" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        observation.save()


@pytest.mark.parametrize(
    ("value", "valid"), [("1", True), ("2.8", True), ("5", True), ("0", False), ("5.5", False)]
)
def test_a_spiral_observation_stays_within_the_spiral_scale(territories, value, valid):
    spiral = Indicator.objects.get(slug="spiral-acces-aux-services")
    assert spiral.scale.slug == "spiral-5"
    start, end = Observation.year_period(2020)
    observation = Observation(
        indicator=spiral,
        territory=territories["bruay"],
        period_start=start,
        period_end=end,
        value=Decimal(value),
        source="Ateliers SPIRAL",
    )
    if valid:
        observation.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            observation.full_clean()
        assert "entre 1 et 5" in str(error.value)


def test_an_observation_period_cannot_end_before_it_starts(directory, jobs):
    with pytest.raises(IntegrityError), transaction.atomic():
        Observation.objects.create(
            indicator=jobs,
            initiative=directory["fe2i"],
            period_start=datetime.date(2020, 6, 1),
            period_end=datetime.date(2020, 1, 1),
            value=3,
            source="Rapport",
        )


def test_a_territory_indicator_is_not_observed_on_an_initiative(directory):
    observation = Observation(
        indicator=Indicator.objects.get(slug="spiral-acces-aux-services"),
        initiative=directory["fe2i"],
        period_start=datetime.date(2020, 1, 1),
        period_end=datetime.date(2020, 12, 31),
        value=3,
        source="Ateliers",
    )
    with pytest.raises(ValidationError):
        observation.full_clean()


def test_a_calendar_year_reads_as_the_year(directory, jobs):
    start, end = Observation.year_period(2021)
    observation = Observation(indicator=jobs, period_start=start, period_end=end)
    assert observation.period_label == "2021"
    assert observation.short_period_label == "2021"
    half = Observation(
        indicator=jobs,
        period_start=datetime.date(2018, 1, 1),
        period_end=datetime.date(2018, 6, 30),
    )
    assert half.year is None
    assert half.short_period_label == "01–06/2018"


# Computed dimension scores


def test_a_dimension_score_is_the_mean_of_its_levels_without_the_not_applicable(directory, grid):
    assessment = assess(directory["maison"], grid, FULL)
    assert scores_by_code(assessment) == {"ANC": 3.0, "GOV": 1.5, "DIF": None}


def test_only_the_latest_published_assessment_with_each_grid_counts(directory, grid):
    maison = directory["maison"]
    assess(maison, grid, FULL, date=datetime.date(2020, 1, 1))
    latest = assess(maison, grid, FULL, date=datetime.date(2022, 1, 1))
    assess(maison, grid, FULL, date=datetime.date(2023, 1, 1), status=Assessment.Status.DRAFT)
    other_grid = assess(maison, Framework.objects.get(slug="csess-2017"), {})
    assert set(Assessment.objects.latest_published()) == {latest, other_grid}


def test_the_latest_assessment_counts_across_versions_of_a_grid(directory, grid):
    old = assess(directory["maison"], grid, FULL, date=datetime.date(2020, 1, 1))
    new = assess(directory["maison"], grid.revise(), FULL, date=datetime.date(2021, 1, 1))
    assert list(Assessment.objects.latest_published()) == [new]
    assert old not in Assessment.objects.latest_published()


def test_an_assessment_of_a_draft_initiative_is_not_public(directory, grid):
    assess(directory["draft"], grid, FULL)
    assert not Assessment.objects.published().exists()


# Versions


def test_revising_a_grid_copies_it_into_a_new_current_version(directory, grid):
    assess(directory["maison"], grid, FULL)
    new = grid.revise()
    grid.refresh_from_db()
    assert (new.slug, new.version, new.is_current, new.revised_from) == (
        "grille-test",
        "1.1",
        True,
        grid,
    )
    assert not grid.is_current
    assert list(
        Criterion.objects.filter(dimension__framework=new).values_list("code", flat=True)
    ) == ["ANC-1", "ANC-2", "GOV-1", "GOV-2", "DIF-1", "DIF-2"]
    assert list(Framework.objects.current().filter(slug="grille-test")) == [new]


def test_a_grid_used_by_an_assessment_refuses_changes_to_its_criteria(directory, grid):
    assess(directory["maison"], grid, FULL)
    criterion = Criterion.objects.get(dimension__framework=grid, code="ANC-1")
    criterion.label = "Autre libellé"
    with pytest.raises(ValidationError):
        criterion.full_clean()
    new_criterion = Criterion(dimension=criterion.dimension, code="ANC-3", label="Nouveau")
    with pytest.raises(ValidationError):
        new_criterion.full_clean()


def test_editing_a_grid_after_an_assessment_does_not_change_that_assessments_display(
    client, curator_client, directory, grid
):
    assessment = assess(directory["maison"], grid, FULL)
    # The used version's criteria are read-only in the admin...
    dimension = grid.dimensions.get(code="ANC")
    admin_page = curator_client.get(
        reverse("admin:evaluation_dimension_change", args=[dimension.pk])
    ).content.decode()
    assert 'name="criteria-0-label"' not in admin_page
    assert "Ancrage territorial, critère 1" in admin_page
    # ...so the grid changes through a new version, edited freely.
    new = grid.revise()
    new.dimensions.filter(code="ANC").update(name="Ancrage et coopération locale")
    Criterion.objects.filter(dimension__framework=new, code="ANC-1").update(label="Nouveau libellé")
    new.name = "Grille de test révisée"
    new.save()

    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Grille de test" in page and "Grille de test révisée" not in page
    assert "Ancrage territorial, critère 1" in page and "Nouveau libellé" not in page
    assert "Ancrage territorial" in page and "Ancrage et coopération locale" not in page
    assert "Version 1.0 de la grille" in page


def test_the_next_version_number_follows_the_last_number(presence):
    assert Framework(version="1.0").next_version() == "1.1"
    assert Framework(version="2").next_version() == "3"
    with pytest.raises(ValueError):
        Framework(version="2024-a").next_version()


# Shipped data and demo


def test_the_three_grids_and_the_two_scales_are_shipped(db):
    grids = {f.slug: f for f in Framework.objects.current().select_related("scale")}
    assert set(grids) == {"marqueurs-godin", "csess-2017", "processus-rqis"}
    assert grids["marqueurs-godin"].name == (
        "Marqueurs d'innovation sociale (d'après l'Institut Godin)"
    )
    assert list(grids["csess-2017"].dimensions.values_list("code", flat=True)) == [
        "BES",
        "EFF",
        "EXP",
    ]
    assert list(Scale.objects.get(slug="presence-4").levels.values_list("value", flat=True)) == [
        0,
        1,
        2,
        3,
    ]
    assert list(Scale.objects.get(slug="spiral-5").levels.values_list("value", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert Indicator.objects.count() >= 12
    assert all(c.guidance for c in Criterion.objects.all())


def test_curators_may_manage_every_evaluation_model(curator):
    for model in ("assessment", "criterionscore", "framework", "observation", "indicator"):
        assert curator.has_perm(f"evaluation.change_{model}")
        assert curator.has_perm(f"evaluation.add_{model}")


def test_the_demo_evaluations_load_twice_without_change(db):
    from django.core.management import call_command

    from evaluation.demo import load_demo_evaluations

    call_command("load_demo", only_demo_places=True, verbosity=0)

    def snapshot():
        return (
            list(
                Assessment.objects.order_by("pk").values_list(
                    "pk", "initiative__slug", "framework__slug", "date", "status"
                )
            ),
            list(CriterionScore.objects.order_by("pk").values_list("pk", "level", "evidence")),
            list(Observation.objects.order_by("pk").values_list("pk", "value", "source")),
            list(Indicator.objects.order_by("pk").values_list("slug", "theme__slug")),
        )

    first = snapshot()
    load_demo_evaluations()
    assert snapshot() == first
    assert Assessment.objects.published().count() == len(first[0]) >= 10
    maison = Assessment.objects.filter(initiative__slug="maison-des-echanges")
    assert {a.framework.slug for a in maison} == {"marqueurs-godin", "csess-2017"}
    assert Observation.objects.filter(initiative__slug="fe2i").exists()
    assert Observation.objects.filter(territory__slug="mulhouse-68224").exists()
    assert all(
        "démonstration" in source for source in Observation.objects.values_list("source", flat=True)
    )
    assert Indicator.objects.get(slug="emplois-crees-etp").theme.slug == "emploi-insertion"


# SVG charts


def svg_elements(html, chart_class):
    """Each <svg class="chart_class"> of a page, parsed as XML (so it must be well formed)."""
    return [
        ET.fromstring(match)
        for match in re.findall(rf'<svg [^>]*class="{chart_class}".*?</svg>', html, re.S)
    ]


def test_the_initiative_page_draws_a_valid_accessible_radar(client, directory, grid):
    assess(directory["maison"], grid, FULL)
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    [radar] = svg_elements(page, "radar-chart")
    assert radar.get("role") == "img"
    title, desc = radar.find(f"{SVG}title"), radar.find(f"{SVG}desc")
    assert "Grille de test" in title.text
    assert radar.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # The description reads the scores, in the page's language (French decimals).
    assert "Gouvernance : 1,5" in desc.text
    assert "Diffusion : non applicable" in desc.text


def test_the_radar_vertices_sit_at_the_scores(client, directory, grid):
    assess(directory["maison"], grid, FULL)
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    [radar] = svg_elements(page, "radar-chart")
    center_x, center_y = (float(n) for n in radar.get("data-center").split(","))
    minimum, maximum = float(radar.get("data-minimum")), float(radar.get("data-maximum"))
    outer_ring = radar.find(f"{SVG}g[@class='radar-grid']").findall(f"{SVG}polygon")[-1]
    corner_x, corner_y = (float(n) for n in outer_ring.get("points").split()[0].split(","))
    radius = math.dist((center_x, center_y), (corner_x, corner_y))
    markers = radar.findall(f".//{SVG}*[@class='radar-marker']")
    values = [float(marker.get("data-value")) for marker in markers]
    assert values == [3.0, 1.5]  # Diffusion is not applicable: no vertex
    for marker, value in zip(markers, values, strict=True):
        distance = math.dist(
            (center_x, center_y), (float(marker.get("data-x")), float(marker.get("data-y")))
        )
        assert distance / radius * (maximum - minimum) + minimum == pytest.approx(value, abs=0.01)


def test_the_radar_comes_with_a_table_of_the_same_numbers(client, directory, grid):
    assess(directory["maison"], grid, FULL)
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    table = re.search(r'<table class="evaluation-table">.*?</table>', page, re.S).group(0)
    assert "<caption>" in table and 'scope="row"' in table
    rows = re.findall(r'<th scope="row">(.*?)</th><td data-score="([^"]*)">(.*?)</td>', table)
    assert [(name, score, shown) for name, score, shown in rows] == [
        ("Ancrage territorial", "3.0", "3"),
        ("Gouvernance", "1.5", "1,5"),
        ("Diffusion", "", "non applicable"),
    ]


def test_the_initiative_page_shows_the_assessment_date_method_and_participants(
    client, directory, grid
):
    assessment = assess(
        directory["maison"],
        grid,
        FULL,
        method=Assessment.Method.PARTICIPATORY,
        participants="La coordinatrice et trois adhérents",
    )
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    assert "évaluation participative avec les preneurs" in page
    assert "La coordinatrice et trois adhérents" in page
    assert "1 mai 2024" in page
    assert assessment.get_absolute_url() in page


def test_a_draft_assessment_stays_off_the_public_pages(client, directory, grid):
    draft = assess(directory["maison"], grid, FULL, status=Assessment.Status.DRAFT)
    assert "radar-chart" not in client.get(directory["maison"].get_absolute_url()).content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_assessment_page_lists_every_criterion_with_its_level_and_evidence(
    client, directory, grid
):
    assessment = assess(directory["maison"], grid, FULL)
    page = client.get(assessment.get_absolute_url()).content.decode()
    for code in FULL:
        assert f"Preuve pour {code}." in page
    assert "Niveau 3 : Totalement présent" in page
    assert page.count("Non applicable") == 3


def test_the_indicator_series_is_a_chart_with_its_values_unit_and_sources(client, directory, jobs):
    for year, value in [(2019, "12.5"), (2020, "14"), (2021, "2450")]:
        start, end = Observation.year_period(year)
        Observation.objects.create(
            indicator=jobs,
            initiative=directory["fe2i"],
            period_start=start,
            period_end=end,
            value=Decimal(value),
            source=f"Rapport d'activité {year}",
        )
    page = client.get(directory["fe2i"].get_absolute_url()).content.decode()
    [chart] = svg_elements(page, "series-chart")
    assert chart.get("data-kind") == "line"
    assert chart.find(f"{SVG}title").text == "Emplois créés"
    assert [Decimal(c.get("data-value")) for c in chart.iter(f"{SVG}circle")] == [
        Decimal("12.5"),
        Decimal("14"),
        Decimal("2450"),
    ]
    assert "ETP" in page and "Rapport d&#x27;activité 2021" in page
    assert "2\xa0450" in page and "12,5" in page


def test_two_values_are_drawn_as_bars(client, directory):
    indicator = Indicator.objects.get(slug="heures-benevolat")
    for start, end, value in [
        ((2018, 1, 1), (2018, 6, 30), 1150),
        ((2018, 7, 1), (2018, 12, 31), 1320),
    ]:
        Observation.objects.create(
            indicator=indicator,
            initiative=directory["maison"],
            period_start=datetime.date(*start),
            period_end=datetime.date(*end),
            value=value,
            source="Feuilles de présence",
        )
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    [chart] = svg_elements(page, "series-chart")
    assert chart.get("data-kind") == "bar"
    assert [int(Decimal(r.get("data-value"))) for r in chart.iter(f"{SVG}rect")] == [1150, 1320]
    assert "01–06/2018" in page


# Query counts


def render_initiative_block(initiative):
    return Template('{% include "evaluation/includes/initiative_profile.html" %}').render(
        Context({"initiative": initiative})
    )


def test_the_initiative_evaluation_block_runs_three_queries_of_its_own(
    directory, grid, jobs, django_assert_num_queries
):
    maison = directory["maison"]
    assess(maison, grid, FULL)
    assess(maison, Framework.objects.get(slug="csess-2017"), {})
    for year in (2019, 2020, 2021):
        start, end = Observation.year_period(year)
        Observation.objects.create(
            indicator=jobs,
            initiative=maison,
            period_start=start,
            period_end=end,
            value=year,
            source="x",
        )
    # 1 the directory version (read once per request; here, outside one, for the cache),
    # 2 the grids' levels and 3 their dimensions (the same on every page, then cached),
    # 4 latest public assessments, 5 the dimension scores, 6 the initiative's observations
    # with their indicators.
    with django_assert_num_queries(6):
        html = render_initiative_block(maison)
    assert html.count('class="radar-chart"') == 2
    with django_assert_num_queries(4):  # 2 and 3 from the cache
        assert render_initiative_block(maison) == html


def test_a_dimension_renamed_shows_at_once_on_the_radars(directory, grid, commit):
    assess(directory["maison"], grid, FULL)
    assert "Gouvernance" in render_initiative_block(directory["maison"])  # now cached
    with commit():
        dimension = grid.dimensions.get(code="GOV")
        dimension.name = "Gouvernance partagée"
        dimension.save()
    assert "Gouvernance partagée" in render_initiative_block(directory["maison"])


def test_the_initiative_page_runs_as_many_queries_with_many_assessments_as_with_one(
    client, directory, grid, jobs
):
    fe2i, maison = directory["fe2i"], directory["maison"]
    assess(fe2i, grid, FULL)
    start, end = Observation.year_period(2020)
    Observation.objects.create(
        indicator=jobs, initiative=fe2i, period_start=start, period_end=end, value=1, source="x"
    )
    for slug in ("marqueurs-godin", "csess-2017", "processus-rqis"):
        framework = Framework.objects.get(slug=slug)
        levels = {c.code: 2 for c in Criterion.objects.filter(dimension__framework=framework)}
        assess(maison, framework, levels)
    assess(maison, grid, FULL)
    for indicator in Indicator.objects.filter(subject="initiative")[:4]:
        for year in (2019, 2020, 2021, 2022):
            start, end = Observation.year_period(year)
            Observation.objects.create(
                indicator=indicator,
                initiative=maison,
                period_start=start,
                period_end=end,
                value=year,
                source="x",
            )

    def count(initiative):
        with CaptureQueriesContext(transaction.get_connection()) as queries:
            assert client.get(initiative.get_absolute_url()).status_code == 200
        return len(queries)

    count(fe2i)  # the grids' levels and dimensions, read once for every page (grid_parts)
    assert count(maison) == count(fe2i)


def compare_url(*slugs):
    return reverse("compare_initiatives") + "?" + "&".join(f"i={slug}" for slug in slugs)


@pytest.fixture
def four_assessed(directory, grid, make_initiative):
    others = [make_initiative("Re-Sources"), make_initiative("Temps-bouilles")]
    initiatives = [directory["maison"], directory["fe2i"], *others]
    for index, initiative in enumerate(initiatives):
        assess(initiative, grid, {**FULL, "GOV-1": index % 4})
    assess(directory["maison"], Framework.objects.get(slug="csess-2017"), {})
    return initiatives


@pytest.mark.parametrize("count", [2, 4])
def test_the_comparison_page_runs_four_queries_once_the_grids_are_cached(
    client, four_assessed, count, django_assert_num_queries
):
    initiatives = four_assessed[:count]
    # 1 the directory version, 2 the initiatives by slug, 3 their latest public assessments,
    # 4 the dimension scores, 5 the scales' levels and 6 the grids' dimensions (the same for
    # every page with a radar: then from the cache).
    with django_assert_num_queries(6):
        response = client.get(compare_url(*(i.slug for i in initiatives)))
    assert response.status_code == 200
    with django_assert_num_queries(4):
        client.get(compare_url(*(i.slug for i in reversed(initiatives))))


def test_the_comparison_overlays_two_profiles_with_a_table(client, four_assessed):
    maison, fe2i = four_assessed[:2]
    page = client.get(compare_url(maison.slug, fe2i.slug)).content.decode()
    radars = svg_elements(page, "radar-chart")
    assert len(radars) == 2  # the test grid, then the CSESS grid (Maison only)
    series = radars[0].findall(f"{SVG}g[@class='radar-series']")
    assert [s.get("data-series") for s in series] == [
        maison.name,
        "Florange Écologie industrielle et Insertion",
    ]
    table = re.search(
        r'<table class="evaluation-table comparison-table">.*?</table>', page, re.S
    ).group(0)
    assert re.search(
        r'<th scope="row">Gouvernance</th><td data-score="1.0">1</td><td data-score="1.5">1,5</td>',
        table,
    )
    assert "non évaluée avec cette grille" in page  # Fe2i has no CSESS assessment


@pytest.mark.parametrize("count", [3, 4])
def test_more_than_two_profiles_get_one_small_radar_each_on_the_same_scale(
    client, four_assessed, count
):
    initiatives = four_assessed[:count]
    page = client.get(compare_url(*(i.slug for i in initiatives))).content.decode()
    section = re.search(r'<section class="comparison".*?</section>', page, re.S).group(0)
    radars = svg_elements(section, "radar-chart")
    assert len(radars) == count
    for radar, initiative in zip(radars, initiatives, strict=True):
        series = radar.findall(f"{SVG}g[@class='radar-series']")
        assert [s.get("data-series") for s in series] == [initiative.name]
        assert radar.get("viewBox") == radars[0].get("viewBox")
        assert radar.get("data-maximum") == radars[0].get("data-maximum")
    assert re.findall(r"<h3>(.*?)</h3>", section) == [
        i.name.replace("'", "&#x27;") for i in initiatives
    ]
    assert "scores par dimension (de 0 à 3)" in section
    for initiative in initiatives:
        assert initiative.get_absolute_url() in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?i=maison-des-echanges&i=nope",
            "Aucune initiative publiée n&#x27;a l&#x27;adresse « nope ».",
        ),
        ("?i=nope&i=nada", "Aucune initiative publiée n&#x27;a ces adresses : nope, nada."),
        (
            "?i=maison-des-echanges",
            "Choisissez entre 2 et 4 initiatives à comparer (nombre indiqué : 1).",
        ),
        (
            "?i=a&i=b&i=c&i=d&i=e",
            "Choisissez entre 2 et 4 initiatives à comparer (nombre indiqué : 5).",
        ),
        ("?i=maison-des-echanges&i=maison-des-echanges", "(nombre indiqué : 1)"),
        ("?i=maison-des-echanges&i=<script>", "&lt;script&gt;"),
        ("?i=maison-des-echanges&i=projet-en-brouillon", "projet-en-brouillon"),
    ],
)
def test_bad_comparisons_get_a_clear_message(client, directory, query, message):
    response = client.get(reverse("compare_initiatives") + query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_comparison_page_without_initiatives_explains_how_to_choose(client, db):
    response = client.get(reverse("compare_initiatives"))
    assert response.status_code == 200
    assert "Cochez de deux à quatre initiatives" in response.content.decode()


# The evaluation page and the average profiles


def test_the_evaluation_page_explains_the_grids_and_counts_assessed_initiatives(
    client, directory, grid, django_assert_max_num_queries
):
    godin = Framework.objects.get(slug="marqueurs-godin")
    assess(directory["maison"], godin, {})
    assess(directory["maison"], godin, {}, date=datetime.date(2025, 1, 1))
    assess(directory["fe2i"], godin, {})
    assess(directory["draft"], godin, {})
    # 1 grids with their counts, 2 levels, 3 dimensions, 4 criteria, 5 indicators.
    with django_assert_max_num_queries(5):
        page = client.get(reverse("evaluation_index")).content.decode()
    assert "Marqueurs d&#x27;innovation sociale (d&#x27;après l&#x27;Institut Godin)" in page
    assert "2 initiatives évaluées avec cette grille." in page
    assert "Place du bénéficiaire" in page  # a Godin marker, with its guidance
    assert godin.dimensions.first().criteria.first().guidance[:40] in page.replace("&#x27;", "'")
    assert "Emplois créés" in page


def test_a_territory_page_shows_the_average_profile_of_its_assessed_initiatives(
    client, directory, grid, territories, make_initiative
):
    other = make_initiative("Autre projet", commune=territories["bruay"])
    assess(directory["maison"], grid, FULL)  # in Bruay: ANC 3, GOV 1.5, DIF n/a
    assess(other, grid, {**FULL, "ANC-1": 1, "DIF-1": 2})  # in Bruay: ANC 1, GOV 1.5, DIF 2
    assess(directory["fe2i"], grid, {"ANC-1": 0})  # in Florange: not counted
    html = Template('{% include "evaluation/includes/average_profile.html" %}').render(
        Context({"territory": territories["pas-de-calais"]})
    )
    assert "Ici, 2 initiatives ont une évaluation publiée." in html
    rows = re.findall(r'<th scope="row">(.*?)</th><td data-score="([^"]*)">', html)
    assert rows == [("Ancrage territorial", "2.0"), ("Gouvernance", "1.5"), ("Diffusion", "2.0")]
    page = client.get(territories["pas-de-calais"].get_absolute_url()).content.decode()
    assert "profil moyen de 2 initiatives évaluées" in page


def test_a_theme_page_shows_the_average_profile_of_its_assessed_initiatives(
    client, directory, grid, themes, django_assert_max_num_queries
):
    assess(directory["maison"], grid, FULL)  # under Ressourceries, so under the circular economy
    assess(directory["fe2i"], grid, {**FULL, "ANC-1": 1})
    template = Template('{% include "evaluation/includes/average_profile.html" %}')
    # 1 the directory version (for the cache, outside a request), 2 assessments, 3 levels,
    # 4 dimensions (the same on every page: cached), 5 dimension scores.
    with django_assert_max_num_queries(5):
        html = template.render(Context({"theme": themes["circular"]}))
    with django_assert_max_num_queries(3):
        assert template.render(Context({"theme": themes["circular"]})) == html
    assert "Ici, 2 initiatives ont une évaluation publiée." in html
    rows = re.findall(r'<th scope="row">(.*?)</th><td data-score="([^"]*)">', html)
    assert rows[0] == ("Ancrage territorial", "2.0")


def test_a_territory_page_shows_its_own_well_being_indicators(directory, territories):
    indicator = Indicator.objects.get(slug="spiral-participation-vie-locale")
    for year, value in [(2014, "2.2"), (2017, "2.8"), (2020, "3.0")]:
        start, end = Observation.year_period(year)
        Observation.objects.create(
            indicator=indicator,
            territory=territories["bruay"],
            period_start=start,
            period_end=end,
            value=Decimal(value),
            source="Ateliers SPIRAL",
        )
    html = Template('{% include "evaluation/includes/average_profile.html" %}').render(
        Context({"territory": territories["bruay"]})
    )
    assert "participation à la vie locale" in html and 'class="series-chart"' in html


# List filters


def filtered(query):
    return {
        initiative.slug
        for initiative in InitiativeFilter(
            QueryDict(query), queryset=Initiative.objects.published()
        ).qs
    }


def test_the_list_filters_initiatives_assessed_with_a_grid(directory, grid):
    assess(directory["maison"], grid, FULL)
    assess(directory["fe2i"], grid, FULL, status=Assessment.Status.DRAFT)
    assess(directory["fe2i"], Framework.objects.get(slug="csess-2017"), {})
    assert filtered("framework=grille-test") == {"maison-des-echanges"}
    assert filtered("framework=csess-2017") == {"fe2i"}


def test_the_list_filters_on_a_dimension_score(directory, grid):
    assess(directory["maison"], grid, FULL)  # ANC 3, GOV 1.5, DIF n/a
    assess(directory["fe2i"], grid, {**FULL, "ANC-1": 1, "GOV-1": 3})  # ANC 1, GOV 2.5
    assert filtered("dimension=grille-test.ANC&dimension_min=2") == {"maison-des-echanges"}
    assert filtered("dimension=grille-test.GOV&dimension_min=2") == {"fe2i"}
    assert filtered("dimension=grille-test.GOV&dimension_min=1.5") == {
        "maison-des-echanges",
        "fe2i",
    }
    assert filtered("dimension=grille-test.DIF&dimension_min=0") == set()  # not applicable
    assert filtered("dimension=grille-test.ANC") == {"maison-des-echanges", "fe2i"}


def test_the_dimension_filter_reads_the_latest_published_assessment(directory, grid):
    assess(directory["maison"], grid, FULL, date=datetime.date(2020, 1, 1))  # ANC 3
    assess(directory["maison"], grid, {**FULL, "ANC-1": 0}, date=datetime.date(2022, 1, 1))
    assert filtered("dimension=grille-test.ANC&dimension_min=2") == set()


def test_the_grid_and_dimension_filters_combine_with_the_others(directory, grid, themes):
    assess(directory["maison"], grid, FULL)
    assess(directory["fe2i"], grid, FULL)
    assert filtered("framework=grille-test&theme=emploi-insertion-formation") == {"fe2i"}
    assert filtered("dimension=grille-test.ANC&dimension_min=2&theme=ressourceries") == {
        "maison-des-echanges"
    }


@pytest.mark.parametrize(
    "query",
    [
        "framework=nope",
        "dimension=nope.X",
        "dimension=grille-test.ANC&dimension_min=abc",
        "dimension_min=2",
    ],
)
def test_bad_evaluation_filters_are_reported(directory, grid, query):
    filterset = InitiativeFilter(QueryDict(query), queryset=Initiative.objects.published())
    assert not filterset.is_valid()


def test_the_list_page_accepts_the_evaluation_filters(client, directory, grid):
    assess(directory["maison"], grid, FULL)
    response = client.get(reverse("initiative_list") + "?dimension=grille-test.ANC&dimension_min=2")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Maison des échanges" in page and "Florange Écologie" not in page


def test_the_list_has_compare_boxes_that_send_the_ticked_initiatives_to_the_comparison(
    client, directory, grid
):
    # Only on the cards of initiatives with a published assessment: the others have nothing
    # to compare.
    assess(directory["maison"], grid, FULL)
    page = client.get(reverse("initiative_list")).content.decode()
    assert re.search(
        r'<input type="checkbox" name="i" value="maison-des-echanges"[^>]*form="compare-form">',
        page,
    )
    assert 'value="fe2i"' not in page
    form = re.search(r'<form id="compare-form"[^>]*>', page).group(0)
    assert f'action="{reverse("compare_initiatives")}"' in form and 'method="get"' in form


def test_the_list_shows_the_evaluation_filters_with_the_chosen_values(client, directory, grid):
    query = "?framework=grille-test&dimension=grille-test.ANC&dimension_min=2"
    page = client.get(reverse("initiative_list") + query).content.decode()
    assert '<option value="grille-test" selected>Grille de test</option>' in page
    assert '<option value="grille-test.ANC" selected>Ancrage territorial</option>' in page
    assert re.search(r'name="dimension_min"[^>]*value="2"', page)


def test_an_initiative_keeps_its_colour_in_every_compared_grid(client, four_assessed):
    maison, fe2i = four_assessed[:2]
    rqis = Framework.objects.get(slug="processus-rqis")
    assess(fe2i, rqis, {c.code: 2 for c in Criterion.objects.filter(dimension__framework=rqis)})
    page = client.get(compare_url(maison.slug, fe2i.slug)).content.decode()
    colours = {}
    for radar in svg_elements(page, "radar-chart"):
        for series in radar.findall(f"{SVG}g[@class='radar-series']"):
            polygon_or_marker = series.find(f"{SVG}*[@fill]")
            if polygon_or_marker is None:  # Maison's CSESS assessment has no scores
                continue
            colours.setdefault(series.get("data-series"), set()).add(polygon_or_marker.get("fill"))
    assert len(svg_elements(page, "radar-chart")) == 3  # Fe2i alone on the RQIS radar
    assert all(len(fills) == 1 for fills in colours.values())
    assert colours[maison.name] != colours[fe2i.name]


def test_the_demo_loads_after_a_flush_that_removed_the_shipped_grids(db):
    from django.core.management import call_command

    Framework.objects.all().delete()
    Indicator.objects.all().delete()
    Scale.objects.all().delete()
    call_command("load_demo", only_demo_places=True, verbosity=0)
    assert Framework.objects.current().count() == 3
    assert Indicator.objects.get(slug="spiral-acces-aux-services").scale.slug == "spiral-5"
    assert Assessment.objects.published().count() >= 10


def test_a_new_dimension_is_offered_at_once_by_the_lists_filter(client, directory, grid, commit):
    assert "Grille de test" in client.get(reverse("initiative_list")).content.decode()  # cached
    with commit():
        Dimension.objects.create(framework=grid, code="COO", name="Coopération", position=9)
    page = client.get(reverse("initiative_list")).content.decode()
    assert '<option value="grille-test.COO">Coopération</option>' in page
