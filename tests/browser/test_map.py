"""The map in Chromium: markers and clusters from the server, popups, filters, the embed.

Every request outside the test server is aborted, so the map has no tiles: the markers and
clusters must show on a blank background without any JavaScript error.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from initiatives.models import Initiative
from tests.browser.conftest import serious_accessibility_violations

# serialized_rollback: the flush after each test would otherwise drop what migrations create.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MARKERS = ".map-marker, .map-cluster"
PARTNER = "http://127.0.0.1:9/partenaire.html"


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


def map_element(page):
    return page.locator("[data-map]")


def test_the_map_shows_the_demo_initiatives_as_markers_and_clusters(page, live_server, demo):
    page.goto(live_server.url + "/carte/")

    expect(page.locator(MARKERS).first).to_be_visible()
    located = Initiative.objects.published().with_point().count()
    in_view = Initiative.objects.published().in_bbox(-20, 30, 25, 60).count()
    assert located > in_view > 0
    expect(map_element(page)).to_have_attribute("data-total", str(in_view))
    expect(page.locator(".map-cluster").first).to_be_visible()
    assert page.console_errors == []


def test_clicking_a_cluster_zooms_into_it(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    cluster = page.locator(".map-cluster").first
    expect(cluster).to_be_visible()
    zoom_before = int(map_element(page).get_attribute("data-zoom"))

    cluster.click()

    expect(map_element(page)).not_to_have_attribute("data-zoom", str(zoom_before))
    assert int(map_element(page).get_attribute("data-zoom")) > zoom_before
    expect(page.locator(".map-marker").first).to_be_visible()
    assert page.console_errors == []


def test_a_marker_popup_links_to_the_initiative(page, live_server, demo):
    page.goto(live_server.url + "/carte/")

    page.get_by_title("Alter'Incub", exact=True).click()
    popup = page.locator(".leaflet-popup")
    expect(popup).to_contain_text("Alter'Incub")
    expect(popup).to_contain_text("Incubateurs")
    popup.get_by_role("link", name="Alter'Incub").click()

    expect(page).to_have_url(re.compile(r"/initiatives/alter-incub/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Alter'Incub")
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_keyboard_reaches_the_map_zooms_a_cluster_and_opens_a_popup(
    page, live_server, demo, width
):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/carte/")
    expect(page.locator(".map-cluster").first).to_be_visible()
    # The skip link puts the focus on the map itself, past the filters.
    page.get_by_role("link", name="Aller à la carte").click()
    expect(page.locator("#map")).to_be_focused()
    zoom_before = int(map_element(page).get_attribute("data-zoom"))
    cluster = page.locator(".map-cluster").first
    cluster.focus()
    page.keyboard.press("Enter")
    expect(map_element(page)).not_to_have_attribute("data-zoom", str(zoom_before))
    # Space works too, on a cluster of the new view if there is one.
    page.goto(live_server.url + "/carte/")
    expect(page.locator(".map-cluster").first).to_be_visible()
    page.locator(".map-cluster").first.focus()
    page.keyboard.press(" ")
    expect(map_element(page)).not_to_have_attribute("data-zoom", str(zoom_before))

    page.goto(live_server.url + "/carte/")
    marker = page.get_by_title("Alter'Incub", exact=True)
    marker.focus()
    page.keyboard.press("Enter")
    link = page.locator(".leaflet-popup").get_by_role("link", name="Alter'Incub")
    expect(link).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(".leaflet-popup")).to_have_count(0)
    expect(marker).to_be_focused()
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_a_text_list_under_the_map_follows_the_view(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/carte/")
    section = page.locator("#map-in-view")
    expect(map_element(page)).to_have_attribute("data-total", re.compile(r"^\d+$"))
    total = map_element(page).get_attribute("data-total")
    expect(section.locator("[data-map-in-view-count]")).to_contain_text(
        f"{total} initiatives correspondantes dans cette vue"
    )
    # Under the map on a phone, beside or under it on a wide screen: never above it.
    assert section.bounding_box()["y"] >= page.locator("#map").bounding_box()["y"]
    # The map's clusters are buttons in the list; one zooms the map in on its initiatives.
    zoom_before = int(map_element(page).get_attribute("data-zoom"))
    section.get_by_role("button").first.click()
    expect(map_element(page)).not_to_have_attribute("data-zoom", str(zoom_before))
    expect(section.get_by_role("link").first).to_be_visible()
    # The list follows the map: after the zoom, what it shows is what the map shows.
    total = map_element(page).get_attribute("data-total")
    expect(section.locator("[data-map-in-view-count]")).to_contain_text(total)
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_initiatives_outside_the_view_are_counted_named_and_shown_on_demand(
    page, live_server, demo, width
):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/carte/")
    outside = page.locator("[data-map-outside]")
    # The demo's view is France: its initiatives in Québec and in Brazil are outside it.
    expect(outside).to_be_visible()
    expect(outside).to_contain_text(re.compile(r"\d+ hors de cette vue : .*Québec"))
    expect(outside).to_contain_text("Rio Grande do Sul")
    in_view = int(map_element(page).get_attribute("data-total"))
    count = int(re.match(r"\d+", outside.inner_text()).group())
    assert in_view + count == Initiative.objects.published().with_point().count()

    # With the keyboard, the button shows them all: nothing is left outside.
    outside.get_by_role("button", name="Voir tous les résultats sur la carte").focus()
    page.keyboard.press("Enter")
    expect(outside).to_be_hidden()
    expect(map_element(page)).to_have_attribute(
        "data-total", str(Initiative.objects.published().with_point().count())
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []


def test_initiatives_at_one_address_share_a_marker_that_lists_them_all(page, live_server, demo):
    # Two Strasbourg initiatives share one point: the territory opens the map on them.
    page.goto(live_server.url + "/carte/?territory=bas-rhin")

    marker = page.locator(".map-marker").filter(has=page.locator(".map-dot-count"))
    expect(marker).to_have_count(1)
    expect(marker.locator(".map-dot-count")).to_have_text("2")
    marker.click()

    popup = page.locator(".leaflet-popup")
    expect(popup.get_by_role("link")).to_have_count(2)
    expect(popup).to_contain_text("Envie Strasbourg")
    expect(popup).to_contain_text("politique de la ville")
    assert page.console_errors == []


def test_a_theme_filter_changes_the_markers_and_the_url_without_reload(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    expect(page.locator(MARKERS).first).to_be_visible()
    total_before = map_element(page).get_attribute("data-total")
    page.evaluate("window.notReloaded = true")

    page.get_by_label(re.compile(r"^Ressourceries")).check()

    expect(page).to_have_url(re.compile(r"/carte/\?theme=ressourceries$"))
    expected = (
        Initiative.objects.published()
        .filter(themes__slug="ressourceries")
        .in_bbox(-20, 30, 25, 60)
        .count()
    )
    assert str(expected) != total_before
    expect(map_element(page)).to_have_attribute("data-total", str(expected))
    expect(page.locator("a[data-map-list-link]").first).to_have_attribute(
        "href", "/initiatives/?theme=ressourceries"
    )
    expect(page.locator("a[data-map-unlocated-link]")).to_have_attribute(
        "href", "/initiatives/?theme=ressourceries&located=false"
    )
    expect(page.locator("#map-share-link")).to_have_value(
        re.compile(r"/carte/\?theme=ressourceries$")
    )
    assert page.evaluate("window.notReloaded") is True
    assert page.console_errors == []


def test_the_download_menu_follows_the_maps_filters_and_downloads_them(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    expect(page.locator(MARKERS).first).to_be_visible()
    page.get_by_label(re.compile(r"^Ressourceries")).check()
    expect(page).to_have_url(re.compile(r"/carte/\?theme=ressourceries$"))

    # From the keyboard: the menu is a disclosure, Enter opens it.
    page.locator(".download-menu summary").focus()
    page.keyboard.press("Enter")
    csv_link = page.get_by_role("link", name="CSV", exact=True)
    expect(csv_link).to_be_visible()
    expect(csv_link).to_have_attribute("href", "/api/initiatives.csv?theme=ressourceries")
    with page.expect_download() as download:
        csv_link.focus()
        page.keyboard.press("Enter")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")

    names = [row["name"] for row in csv.DictReader(io.StringIO(content))]
    expected = Initiative.objects.published().filter(themes__slug="ressourceries")
    assert sorted(names) == sorted(expected.values_list("name", flat=True))
    assert names
    assert download.value.suggested_filename.startswith("essaim-initiatives-")
    assert page.console_errors == []


def test_the_list_link_keeps_the_maps_filters(page, live_server, demo):
    page.goto(live_server.url + "/carte/?stage=consolidation")

    page.get_by_role("link", name="Liste", exact=True).click()

    expect(page).to_have_url(re.compile(r"/initiatives/\?stage=consolidation$"))
    expect(page.locator("#filter-stage-consolidation")).to_be_checked()
    assert page.console_errors == []


def test_back_restores_the_previous_filters(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    page.get_by_label(re.compile(r"^consolidation", re.I)).check()
    expect(page).to_have_url(re.compile(r"stage=consolidation"))

    page.go_back()

    expect(page).to_have_url(re.compile(r"/carte/$"))
    expect(page.locator("#filter-stage-consolidation")).not_to_be_checked()
    assert page.console_errors == []


def test_the_embed_renders_inside_an_iframe(page, live_server, demo):
    # A partner's page on another origin, served here by the browser itself: over http (an
    # https page may not frame the http test server) and on the loopback address (Chromium
    # keeps public pages from framing local ones).
    partner = (
        f'<!doctype html><title>Partenaire</title><iframe src="{live_server.url}/carte/embed/'
        '?theme=ressourceries" title="Essaim" width="800" height="500"></iframe>'
    )
    page.route(
        PARTNER,
        lambda route: route.fulfill(body=partner, content_type="text/html"),
    )
    page.goto(PARTNER)

    frame = page.frame_locator("iframe")
    expect(frame.locator(MARKERS).first).to_be_visible()
    expect(frame.get_by_role("link", name=re.compile("Essaim"))).to_have_attribute(
        "href", "/carte/?theme=ressourceries"
    )
    assert page.console_errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_territory_and_initiative_pages_show_their_maps(page, live_server, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server.url + "/territoires/grand-est/")
    expect(page.locator("[data-map] .map-marker, [data-map] .map-cluster").first).to_be_visible()

    page.goto(live_server.url + "/initiatives/fe2i/")
    expect(page.locator("[data-point-map] .map-marker")).to_have_count(1)

    # The home page's small map shows the whole directory.
    page.goto(live_server.url + "/")
    home_map = page.locator("[data-map]")
    expect(home_map.locator(".map-marker, .map-cluster").first).to_be_visible()
    located = Initiative.objects.published().with_point().count()
    expect(home_map).to_have_attribute("data-total", re.compile(r"^\d+$"))
    assert 0 < int(home_map.get_attribute("data-total")) <= located
    assert home_map.bounding_box()["width"] <= width
    assert page.console_errors == []


def test_the_map_page_has_no_serious_accessibility_violation(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    expect(page.locator(MARKERS).first).to_be_visible()

    assert serious_accessibility_violations(page) == []
