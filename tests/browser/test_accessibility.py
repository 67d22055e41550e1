"""axe-core finds no serious or critical violation on the public pages, wide and on a phone,
and on the curators' main admin forms."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

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
    "/carte/",
    "/carte/embed/",
    "/evaluation/",
    "/comparer/?i=maison-des-echanges&i=fe2i&i=reseau-envie",
    "/proposer/",
    "/confidentialite/",
    "/mentions-legales/",
    "/api/",
    "/initiatives/maison-des-echanges/corriger/",
    "/territoires/?q=bru",
    "/page-qui-nexiste-pas/",
]


def first_assessment_url():
    from evaluation.models import Assessment

    return Assessment.objects.published().order_by("pk").first().get_absolute_url()


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


@pytest.mark.parametrize("width", [1280, 360])
def test_public_pages_have_no_serious_accessibility_violation(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in [*PAGES, first_assessment_url()]:
        response = page.goto(live_server.url + path)
        if response.status == 404:  # the error page: the browser logs its own status
            page.console_errors = [e for e in page.console_errors if "404 (Not Found)" not in e]
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


ADMIN_FORMS = [
    "/admin/initiatives/initiative/{maison}/change/",
    "/admin/actors/actor/{macif}/change/",
    "/admin/evaluation/assessment/{assessment}/change/",
]


def test_the_curators_forms_have_no_serious_accessibility_violation(
    page, live_server, demo, curator
):
    from actors.models import Actor
    from evaluation.models import Assessment
    from initiatives.models import Initiative
    from tests.browser.conftest import log_in

    log_in(page, live_server, curator)
    ids = {
        "maison": Initiative.objects.get(slug="maison-des-echanges").pk,
        "macif": Actor.objects.filter(involvements__isnull=False).first().pk,
        "assessment": Assessment.objects.first().pk,
    }
    page.set_viewport_size({"width": 1280, "height": 900})
    found = {}
    for path in ADMIN_FORMS:
        page.goto(live_server.url + path.format(**ids))
        violations = serious_accessibility_violations(page)
        if violations:
            found[path] = violations
        # The form fits the screen: wide inline tables scroll inside it.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, path
    assert found == {}, found


@pytest.mark.parametrize("width", [360, 1280])
def test_a_form_sent_back_names_its_first_error_and_takes_the_curator_to_it(
    page, live_server, demo, curator, width
):
    from initiatives.models import Initiative
    from tests.browser.conftest import log_in

    log_in(page, live_server, curator)
    page.set_viewport_size({"width": width, "height": 800})
    maison = Initiative.objects.get(slug="maison-des-echanges")
    page.goto(f"{live_server.url}/admin/initiatives/initiative/{maison.pk}/change/")
    page.locator("#id_summary").fill("")
    page.locator("input[name=_continue]").first.click()
    note = page.locator("[data-first-error]")
    expect(note).to_contain_text("Résumé")
    summary = page.locator("#id_summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    # The note's link leads there too, for whoever moved away.
    page.keyboard.press("Shift+Tab")
    note.get_by_role("link").click()
    expect(page).to_have_url(re.compile("#id_summary$"))
