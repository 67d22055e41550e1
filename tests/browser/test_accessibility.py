"""axe-core finds no serious or critical violation on the public pages, wide and on a phone."""

import pytest
from django.core.management import call_command

from tests.browser.conftest import serious_accessibility_violations

# serialized_rollback: the flush after each test would otherwise drop what migrations create
# (the Curators group, the evaluation grids that load_demo relies on).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGES = [
    "/",
    "/initiatives/",
    "/initiatives/?q=ecologie&stage=consolidation&theme=economie-circulaire-reemploi",
    "/initiatives/maison-des-echanges/",
    "/territoires/",
    "/territoires/pas-de-calais/",
    "/themes/",
    "/themes/economie-circulaire-reemploi/",
    "/acteurs/",
    "/acteurs/departement-du-pas-de-calais/",
]


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


@pytest.mark.parametrize("width", [1280, 375])
def test_public_pages_have_no_serious_accessibility_violation(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        violations = serious_accessibility_violations(page)
        if violations:
            found[path] = violations
    assert found == {}, found
    assert page.console_errors == []


def test_the_focus_is_visible(page, live_server, demo):
    page.goto(live_server.url + "/initiatives/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const style = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, style.outlineStyle, style.outlineWidth]; }"
    )
    assert focused == ["skip-link", "solid", "3px"]
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_the_filters_are_usable_with_the_keyboard(page, live_server, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/initiatives/")
    page.locator("#filter-stage-consolidation").focus()
    page.keyboard.press("Space")
    page.wait_for_url("**stage=consolidation**")
    assert page.evaluate("document.activeElement.id") == "filter-stage-consolidation"
