"""A new visitor browses the demo directory in Chromium, with and without JavaScript."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import serious_accessibility_violations

# serialized_rollback: the flush after each test would otherwise drop what migrations create
# (the Curators group, the evaluation grids that load_demo relies on).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


def test_a_visitor_finds_an_initiative_by_territory_filters_and_opens_a_funder(
    page, live_server, demo
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Hauts-de-France", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hauts-de-France")

    page.get_by_role("link", name="Pas-de-Calais", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pas-de-Calais")
    breadcrumb = page.get_by_role("navigation", name=re.compile("Fil d'Ariane|Breadcrumb"))
    expect(breadcrumb).to_contain_text("France")
    expect(breadcrumb).to_contain_text("Hauts-de-France")

    page.get_by_role("link", name="Maison des échanges", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maison des échanges")

    # The list, filtered by a theme and a stage: the results follow without a reload.
    page.get_by_role("navigation", name=re.compile("navigation", re.I)).get_by_role(
        "link", name=re.compile("^Initiatives$")
    ).click()
    # A click does not wait for the new page's scripts: until then the form would submit.
    expect(page.locator("#initiative-filters.is-live")).to_be_attached()
    page.evaluate("window.notReloaded = true")
    page.get_by_label(re.compile(r"^Ressourceries")).check()
    expect(page).to_have_url(re.compile(r"theme=ressourceries"))
    page.get_by_label(re.compile(r"^consolidation", re.I)).check()
    expect(page).to_have_url(re.compile(r"theme=ressourceries.*stage=consolidation"))
    results = page.locator("#initiative-results")
    expect(results.get_by_role("link", name="Maison des échanges", exact=True)).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#filter-stage-consolidation")).to_be_checked()

    results.get_by_role("link", name="Maison des échanges", exact=True).click()
    page.get_by_role("list", name=re.compile("bailleurs de fonds", re.I)).get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Département du Pas-de-Calais")
    expect(page.locator("#role-funder")).to_be_visible()
    expect(page.get_by_role("link", name="Maison des échanges", exact=True)).to_be_visible()
    assert page.console_errors == []


def test_the_back_button_restores_the_previous_filters(page, live_server, demo):
    page.goto(live_server.url + "/initiatives/")
    page.get_by_label(re.compile(r"^consolidation", re.I)).check()
    expect(page).to_have_url(re.compile(r"stage=consolidation"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/initiatives/$"))
    expect(page.locator("#filter-stage-consolidation")).not_to_be_checked()
    assert page.console_errors == []


def test_typing_a_search_updates_the_results(page, live_server, demo):
    page.goto(live_server.url + "/initiatives/")
    page.get_by_role("searchbox").fill("ecologie")
    expect(page).to_have_url(re.compile(r"q=ecologie"))
    expect(page.locator("#initiative-results")).to_contain_text("Fe2i")
    expect(page.get_by_role("searchbox")).to_be_focused()
    assert page.console_errors == []


def test_the_filters_work_without_javascript(browser, live_server, demo):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    page.goto(live_server.url + "/initiatives/")
    # On a wide screen the filters show without a click, even without JavaScript.
    expect(page.locator("#filter-q")).to_be_visible()
    page.get_by_label(re.compile(r"^Ressourceries")).check()
    page.locator("#filter-submit").click()
    expect(page).to_have_url(re.compile(r"theme=ressourceries"))
    expect(page.locator("#initiative-results")).to_contain_text("Maison des échanges")
    context.close()


# One page of each type, the filter panels opened where there are some.
PHONE_PAGES = [
    ("/", None),
    ("/initiatives/", "#filter-panel > summary"),
    ("/initiatives/?q=ressourcrie", None),
    ("/initiatives/maison-des-echanges/", None),
    ("/carte/", "#filter-panel > summary"),
    ("/territoires/", None),
    ("/territoires/?q=bru", None),
    ("/territoires/hauts-de-france/", None),
    ("/themes/", None),
    ("/themes/ressourceries/", None),
    ("/acteurs/", None),
    ("/acteurs/fondation-macif/", None),
    ("/evaluation/", None),
    ("/comparer/?i=maison-des-echanges&i=fe2i&i=reseau-envie", None),
    ("/proposer/", None),
    ("/confidentialite/", None),
    ("/mentions-legales/", None),
    ("/api/", None),
    ("/carte/embed/", None),
    ("/initiatives/maison-des-echanges/corriger/", None),
    ("/page-qui-nexiste-pas/", None),
]


@pytest.mark.parametrize("width", [360, 1280])
def test_no_page_is_wider_than_the_screen(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    from tests.browser.test_accessibility import first_assessment_url

    too_wide = []
    for path, panel in [*PHONE_PAGES, (first_assessment_url(), None)]:
        page.goto(live_server.url + path)
        if panel and page.locator(panel).is_visible():
            page.locator(panel).click()
        page.wait_for_load_state("networkidle")
        document_width = page.evaluate("document.documentElement.scrollWidth")
        if document_width > width:
            too_wide.append((path, document_width))
    assert too_wide == [], too_wide


def test_on_a_phone_the_filters_collapse(page, live_server, demo):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/initiatives/")
    expect(page.locator("#filter-q")).to_be_hidden()
    page.locator("#filter-panel > summary").click()
    expect(page.locator("#filter-q")).to_be_visible()


def test_on_a_phone_the_menu_folds_behind_a_button_and_opens(page, live_server, demo):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    menu_link = page.locator('.site-nav a[href="/territoires/"]')
    expect(menu_link).to_be_hidden()
    # The header is one line: the name and the menu button.
    assert page.locator(".site-header").bounding_box()["height"] < 80
    page.get_by_text("Menu", exact=True).focus()
    page.keyboard.press("Enter")
    expect(menu_link).to_be_visible()
    menu_link.click()
    expect(page).to_have_url(re.compile(r"/territoires/$"))


def test_on_a_wide_screen_the_menu_is_open_without_a_button(page, live_server, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.locator('.site-nav a[href="/territoires/"]')).to_be_visible()
    expect(page.locator(".site-menu > summary")).to_be_hidden()


def test_on_a_wide_screen_the_filters_are_open(page, live_server, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/initiatives/")
    expect(page.locator("#filter-q")).to_be_visible()
    expect(page.locator("#filter-panel > summary")).to_be_hidden()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("path", ["/initiatives/", "/carte/"])
def test_the_actor_filter_suggests_names_as_one_types(page, live_server, demo, width, path):
    from actors.models import Actor

    funder = Actor.objects.get(name="Fondation Macif")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + path)
    if not page.locator("#filter-actor").is_visible():
        page.locator("#filter-panel > summary").click()
    field = page.get_by_label("Acteur", exact=True)
    suggestions = page.locator("#filter-actor-suggestions option")
    assert funder.name in suggestions.evaluate_all("options => options.map(o => o.value)")

    # A half-typed name filters nothing; a suggested one filters at once.
    field.press_sequentially("Fondation Ma")
    page.wait_for_timeout(800)
    expect(page).not_to_have_url(re.compile(r"actor="))
    field.press_sequentially("cif")
    expect(page).to_have_url(re.compile(r"actor=Fondation\+Macif"))
    if path == "/initiatives/":
        found = funder.involvements.public().values("initiative").distinct().count()
        expect(page.locator("#results-title")).to_contain_text(f"{found} initiative")
    else:
        expect(page.locator("[data-map-in-view-count]")).to_contain_text("initiative")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_error_pages_are_in_the_sites_look_and_language(page, live_server, width):
    from django.test import Client
    from django.utils import translation

    from tests.test_production import raising

    page.set_viewport_size({"width": width, "height": 800})
    expired_form = Client(enforce_csrf_checks=True).post("/en/proposer/").content.decode()
    with translation.override("fr"):
        server_error = raising(ZeroDivisionError()).content.decode()
    pages = [
        ("/nulle-part/", 404, "Page introuvable"),
        ("/en/nowhere/", 404, "Page not found"),
        # As the server sends them: the static 500 page, the expired form's 403.
        ("/erreur-500/", 500, "Une erreur s'est produite de notre côté"),
        ("/erreur-403/", 403, "The form has expired"),
    ]

    def answer_with(body):
        return lambda route: route.fulfill(status=200, body=body, content_type="text/html")

    for path, body in [("/erreur-500/", server_error), ("/erreur-403/", expired_form)]:
        page.route(live_server.url + path, answer_with(body))
    for path, status, heading in pages:
        response = page.goto(live_server.url + path)
        if status == 404:
            assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator(".site-header .brand")).to_be_visible()
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_accessibility_violations(page) == [], path
        page.get_by_role("link", name=re.compile("accueil|home page")).last.click()
        expect(page).to_have_url(re.compile(r"/(en/)?$"))
    # Chromium logs each 404 document as a resource that failed to load; nothing else failed.
    assert len(page.console_errors) == 2, page.console_errors
