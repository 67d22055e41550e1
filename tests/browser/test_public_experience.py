"""The public experience at a phone's width (360 px) and a laptop's (1280 px): search, images,
the site's own name and colours, territories, an initiative's page, the map by keyboard."""

import io
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from initiatives.models import Initiative

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.parametrize("width", [360, 1280]),
]


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)
    cache.clear()  # pages cached by an earlier test, under another site's settings


def at_width(page, width):
    page.set_viewport_size({"width": width, "height": 800})


def open_filters(page):
    if not page.locator("#filter-q").is_visible():
        page.locator("#filter-panel > summary").click()


def result_names(page):
    return page.locator("#initiative-results h3 a, #initiative-results h2 a").all_inner_texts()


def test_search_finds_a_theme_forgives_a_typo_and_orders_by_relevance(
    page, live_server, demo, width
):
    carrying = set(
        Initiative.objects.published()
        .filter(themes__slug="ressourceries")
        .values_list("name", flat=True)
    )
    at_width(page, width)
    page.goto(live_server.url + "/initiatives/?sort=name")
    open_filters(page)
    page.get_by_role("searchbox").fill("ressourceries")
    expect(page).to_have_url(re.compile(r"q=ressourceries"))
    expect(page.locator("#results-title")).to_contain_text(f"{len(carrying)} initiative")
    assert set(result_names(page)) >= carrying
    # A search orders by relevance, though the list was ordered by name.
    expect(page.locator("#filter-sort")).to_have_value("")
    assert "sort=name" not in page.url

    page.get_by_role("searchbox").fill("ressourcrie")
    expect(page).to_have_url(re.compile(r"q=ressourcrie(&|$)"))
    suggestion = page.get_by_role("link", name="ressourcerie")
    if suggestion.count():  # SQLite: "Vouliez-vous dire…"; PostgreSQL finds them directly
        suggestion.click()
    expect(page.locator("#results-title")).not_to_contain_text("Aucune")
    assert set(result_names(page)) & carrying
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == []


def test_cards_show_their_image_with_its_size_lazily(
    page, live_server, demo, width, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), (40, 120, 200)).save(buffer, "JPEG")
    initiative = Initiative.objects.get(slug="maison-des-echanges")
    initiative.image_alt = "La boutique de la Maison des échanges"
    initiative.image = ContentFile(buffer.getvalue(), name="boutique.jpg")  # as uploaded
    initiative.save()  # resized to 1,200 and 480 px
    cache.clear()
    # The test server serves no uploads (nginx or object storage does): the browser gets
    # them from the storage here.
    page.route(
        re.compile(r".*/media/.*"),
        lambda route: route.fulfill(
            body=Path(tmp_path, route.request.url.split("/media/", 1)[1]).read_bytes(),
            content_type="image/webp",
        ),
    )
    at_width(page, width)
    page.goto(live_server.url + "/initiatives/")
    image = page.get_by_role("img", name="La boutique de la Maison des échanges")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    assert image.get_attribute("loading") == "lazy"
    assert (image.get_attribute("width"), image.get_attribute("height")) == ("480", "300")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 480", arg=image.element_handle()
    )
    assert image.bounding_box()["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_site_carries_the_networks_name_colour_and_pages(
    page, live_server, demo, width, settings
):
    settings.SITE_NAME = "Réseau Alpha"
    settings.SITE_COLOUR, settings.SITE_COLOUR_DARK = "#8a1538", "#5e0e26"
    settings.SITE_INTRODUCTION = "Les innovations sociales du réseau Alpha."
    settings.SITE_CONTACT_EMAIL = "contact@reseau-alpha.example"
    cache.clear()
    at_width(page, width)
    page.goto(live_server.url + "/")
    expect(page.locator(".site-header .brand")).to_have_text("Réseau Alpha")
    expect(page).to_have_title(re.compile("Réseau Alpha"))
    expect(page.get_by_text("Les innovations sociales du réseau Alpha.")).to_be_visible()
    link_colour = page.evaluate("getComputedStyle(document.querySelector('main a')).color")
    assert link_colour == "rgb(138, 21, 56)"
    footer = page.locator(".site-footer")
    contact = footer.get_by_role("link", name="Contact")
    expect(contact).to_have_attribute("href", "mailto:contact@reseau-alpha.example")
    footer.get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentions légales")
    assert "Essaim" not in page.locator("body").inner_text()


def test_territories_are_searched_and_the_home_page_groups_regions_by_country(
    page, live_server, demo, width
):
    at_width(page, width)
    page.goto(live_server.url + "/")
    regions = page.get_by_role("region", name="Par région")
    countries = regions.get_by_role("heading", level=3).all_inner_texts()
    assert countries[0] == "France" and "Canada" in countries
    canada = regions.get_by_role("list", name="Canada")
    expect(canada.get_by_role("link", name="Québec")).to_be_visible()
    expect(regions.get_by_role("list", name="France")).not_to_contain_text("Québec")

    page.goto(live_server.url + "/territoires/")
    page.get_by_role("searchbox").fill("pas-de")
    page.keyboard.press("Enter")
    found = page.get_by_role("link", name="Pas-de-Calais", exact=True)
    expect(found).to_be_visible()
    found.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pas-de-Calais")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_initiatives_key_facts_come_first_on_a_phone_beside_on_a_wide_screen(
    page, live_server, demo, width
):
    at_width(page, width)
    page.goto(live_server.url + "/initiatives/maison-des-echanges/")
    facts = page.get_by_role("complementary", name="En bref").bounding_box()
    description = page.locator("#description-title").bounding_box()
    if width == 360:
        assert facts["y"] < description["y"]
    else:
        assert facts["x"] > description["x"] + description["width"] - 1
        assert facts["y"] < description["y"] + 200


def test_the_map_works_with_the_keyboard_alone(page, live_server, demo, width):
    at_width(page, width)
    page.goto(live_server.url + "/carte/")
    expect(page.locator(".map-marker, .map-cluster").first).to_be_visible()
    # From the top of the page: the skip link is among the first stops, and leads to the map.
    skip = page.get_by_role("link", name="Aller à la carte")
    for _press in range(25):
        page.keyboard.press("Tab")
        if skip.evaluate("link => link === document.activeElement"):
            break
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#map")).to_be_focused()
    # The next stops are the map's clusters and markers: Enter zooms a cluster.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "map-cluster" in focused or "map-marker" in focused or "leaflet" in focused
    zoom = page.locator("[data-map]").get_attribute("data-zoom")
    cluster = page.locator(".map-cluster").first
    cluster.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-map]")).not_to_have_attribute("data-zoom", zoom)
    # The other way to the results: the list of what the map shows.
    page.get_by_role("link", name="Aller à la liste de ce que montre la carte").focus()
    page.keyboard.press("Enter")
    in_view = page.locator("#map-in-view")
    expect(in_view).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#map-in-view a, #map-in-view button").first).to_be_focused()
    assert page.console_errors == []


def test_while_filtering_the_count_of_results_stays_in_sight(page, live_server, demo, width):
    found = Initiative.objects.published().filter(themes__slug="ressourceries").count()
    at_width(page, width)
    page.goto(live_server.url + "/initiatives/")
    if width == 360:
        expect(page.locator("#see-results")).to_be_hidden()  # the filters are folded
    open_filters(page)
    total = Initiative.objects.published().count()
    expect(page.locator("#see-results")).to_have_text(f"Voir les {total} initiatives")
    page.get_by_label(re.compile(r"^Ressourceries")).check()
    expect(page).to_have_url(re.compile(r"theme=ressourceries"))
    # On a phone the results are far below the filters; on a wide screen, beside them, but
    # scrolled out of view by a long list of themes. A sticky button counts them.
    count = page.locator("#see-results")
    expect(count).to_have_text(re.compile(rf"^Voir (les )?{found} initiatives?$"))
    expect(count).to_be_in_viewport()
    page.locator("#filter-year_min").scroll_into_view_if_needed()  # further down the filters
    expect(count).to_be_in_viewport()
    count.click()
    expect(page.locator("#results-title")).to_be_focused()
    expect(page.locator("#results-title")).to_be_in_viewport()
