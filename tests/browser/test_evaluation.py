"""Evaluation in Chromium: the radars read without JavaScript, the list's compare boxes work."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from initiatives.models import Initiative
from tests.browser.conftest import serious_accessibility_violations

# serialized_rollback keeps what migrations create (the grids, the Curators group) between
# transactional tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


def test_a_visitor_compares_two_initiatives_ticked_in_the_list(page, live_server, demo):
    page.goto(live_server.url + "/initiatives/?framework=marqueurs-godin")
    results = page.locator("#initiative-results")
    expect(results.get_by_role("link", name="Maison des échanges", exact=True)).to_be_visible()
    # "Compare" until the French translation comes, "Comparer" after.
    page.get_by_label(re.compile(r"^Compar\w* Maison des échanges$")).check()
    page.get_by_label(re.compile(r"^Compar\w* Réseau Envie$")).check()
    page.locator("#compare-form button").click()

    expect(page).to_have_url(re.compile(r"/comparer/\?i=maison-des-echanges&i=reseau-envie"))
    radar = page.locator("svg.radar-chart").first
    expect(radar).to_be_visible()
    assert radar.locator(".radar-series").count() == 2
    expect(page.locator("table.comparison-table").first).to_contain_text("Maison des échanges")
    assert page.console_errors == []
    assert serious_accessibility_violations(page) == []


def test_the_radar_and_its_table_read_without_javascript(browser, live_server, demo):
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    page.goto(live_server.url + "/initiatives/maison-des-echanges/")
    evaluation = page.get_by_role("region", name=re.compile("Évaluation|Evaluation"))
    radar = evaluation.get_by_role("img", name=re.compile("Marqueurs d'innovation sociale"))
    expect(radar).to_be_visible()
    box = radar.bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    expect(evaluation.locator("table").first).to_contain_text("Processus")
    expect(evaluation.get_by_role("img", name="Adhérents")).to_be_visible()

    evaluation.get_by_role("link", name=re.compile("Marqueurs d'innovation sociale")).last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maison des échanges")
    expect(page.get_by_text("Place du bénéficiaire")).to_be_visible()
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/evaluation/",
        "/initiatives/maison-des-echanges/",
        "/comparer/?i=maison-des-echanges&i=fe2i&i=reseau-envie&i=alter-incub",
        "/comparer/?i=maison-des-echanges&i=nope",
        "/territoires/mulhouse-68224/",
    ],
)
def test_the_evaluation_pages_have_no_serious_accessibility_violation(
    page, live_server, demo, path
):
    page.goto(live_server.url + path)
    assert serious_accessibility_violations(page) == []
    assert [error for error in page.console_errors if "400" not in error] == []


@pytest.mark.parametrize("width", [360, 1280])
def test_four_compared_profiles_get_small_radars_of_one_size(page, live_server, demo, width):
    compared = ["maison-des-echanges", "mulhouse-territoire-de-co-responsabilite"]
    compared += ["reseau-envie", "alter-incub"]  # all four assessed with the Godin markers
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/comparer/?" + "&".join(f"i={slug}" for slug in compared))
    godin = page.locator("section.comparison").first
    radars = godin.locator(".small-multiples svg.radar-chart")
    expect(radars).to_have_count(4)
    widths = {round(radar.bounding_box()["width"]) for radar in radars.all()}
    assert len(widths) == 1 and widths.pop() > 250
    for radar in radars.all():
        assert radar.locator(".radar-series").count() == 1
    # Two profiles share one radar, with its legend; it is as wide whatever the names.
    # Only evaluated initiatives offer "Comparer" in the list.
    page.goto(live_server.url + "/initiatives/")
    offered = page.locator("#initiative-results").get_by_label(re.compile(r"^Comparer "))
    expect(offered.first).to_be_attached()
    evaluated = {
        name
        for name in Initiative.objects.published()
        .filter(assessments__status="published")
        .values_list("name", flat=True)
    }
    labels = {
        text.removeprefix("Comparer ")
        for text in offered.evaluate_all(
            "boxes => boxes.map(box => box.labels[0].textContent.trim())"
        )
    }
    assert labels and labels <= evaluated
    page.goto(live_server.url + "/comparer/?i=maison-des-echanges&i=reseau-envie")
    expect(page.locator(".comparison-radar svg.radar-chart").first).to_be_visible()
    assert page.locator(".small-multiples").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []
