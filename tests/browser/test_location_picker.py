"""A curator places an initiative on the admin's map (Leaflet from django-leaflet, no GDAL)."""

import pytest
from playwright.sync_api import expect

from initiatives.models import Initiative
from tests.browser.conftest import log_in

# serialized_rollback keeps the Curators group that a migration creates.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def curator_page(page, live_server, curator):
    log_in(page, live_server, curator)
    return page


def open_change_form(page, live_server, initiative):
    page.goto(f"{live_server.url}/admin/initiatives/initiative/{initiative.pk}/change/")
    picker = page.locator(".location-picker-map")
    picker.scroll_into_view_if_needed()
    expect(picker.locator(".leaflet-control-zoom")).to_be_visible()
    return picker


def test_a_curator_sets_the_point_by_clicking_the_map(
    curator_page, live_server, make_initiative, territories
):
    initiative = make_initiative("Tiers-lieu sans adresse", status="draft")
    page = curator_page
    picker = open_change_form(page, live_server, initiative)

    picker.click(position={"x": 200, "y": 120})

    latitude = page.locator("#id_latitude").input_value()
    longitude = page.locator("#id_longitude").input_value()
    assert latitude and longitude
    expect(picker.locator(".leaflet-marker-icon")).to_have_count(1)
    page.locator("input[name=_continue]").first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    initiative.refresh_from_db()
    assert initiative.latitude == pytest.approx(float(latitude), abs=1e-9)
    assert initiative.longitude == pytest.approx(float(longitude), abs=1e-9)
    expect(page.locator(".location-picker-map .leaflet-marker-icon")).to_have_count(1)
    assert page.console_errors == []


def test_typing_coordinates_moves_the_marker_and_clear_removes_it(
    curator_page, live_server, make_initiative
):
    initiative = make_initiative("Épicerie solidaire", latitude=45.75, longitude=4.85)
    page = curator_page
    picker = open_change_form(page, live_server, initiative)
    marker = picker.locator(".leaflet-marker-icon")
    expect(marker).to_have_count(1)
    before = marker.bounding_box()

    page.locator("#id_longitude").fill("4.86")

    after = marker.bounding_box()
    assert after["x"] > before["x"]
    page.get_by_role("button", name="Effacer le point").click()
    expect(marker).to_have_count(0)
    expect(page.locator("#id_latitude")).to_have_value("")
    expect(page.locator("#id_longitude")).to_have_value("")
    page.locator("input[name=_continue]").first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    initiative.refresh_from_db()
    assert initiative.latitude is None
    assert initiative.longitude is None
    assert page.console_errors == []


def test_a_curator_can_take_the_communes_centre_when_no_point_is_set(
    curator_page, live_server, make_initiative, territories
):
    initiative = make_initiative("Ressourcerie", commune=territories["bruay"])
    page = curator_page
    open_change_form(page, live_server, initiative)

    offer = page.get_by_role(
        "button", name="Utiliser le centre de Bruay-la-Buissière (50.4833, 2.55)"
    )
    offer.click()

    expect(page.locator("#id_latitude")).to_have_value("50.483300")
    expect(page.locator("#id_longitude")).to_have_value("2.550000")
    expect(offer).to_be_hidden()
    page.locator("input[name=_continue]").first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    initiative.refresh_from_db()
    assert (initiative.latitude, initiative.longitude) == (50.4833, 2.55)
    assert page.console_errors == []


def test_choosing_a_commune_in_the_autocomplete_offers_its_centre(
    curator_page, live_server, make_initiative, territories
):
    initiative = make_initiative("Atelier vélo")
    page = curator_page
    open_change_form(page, live_server, initiative)
    offer = page.locator("[data-location-commune]")
    expect(offer).to_be_hidden()

    page.locator(".field-commune .select2-selection").click()
    page.keyboard.type("Florange")
    page.locator(".select2-results__option", has_text="Florange").click()

    expect(offer).to_have_text("Utiliser le centre de Florange (49.3236, 6.1208)")
    assert Initiative.objects.get(pk=initiative.pk).latitude is None
    assert page.console_errors == []


def test_a_point_far_from_the_commune_is_warned_about_and_kept(
    curator_page, live_server, make_initiative, territories
):
    # Bruay-la-Buissière (Pas-de-Calais), but a point near Lyon, 600 km away.
    initiative = make_initiative(
        "Point lointain", commune=territories["bruay"], latitude=45.75, longitude=4.85
    )
    page = curator_page
    open_change_form(page, live_server, initiative)
    status = page.locator("[data-location-status]")
    expect(status).to_contain_text("km du centre de Bruay-la-Buissière")
    # The map shows both the commune and the point.
    page.locator("#id_latitude").fill("50.49")
    page.locator("#id_longitude").fill("2.56")
    expect(status).to_have_text("")
    page.locator("#id_longitude").fill("4.85")
    page.locator("#id_latitude").fill("45.75")
    expect(status).to_contain_text("vérifiez-le")
    page.locator("input[name=_continue]").first.click()
    # Saved all the same, with the warning.
    expect(page.locator(".messagelist .warning")).to_contain_text(
        "du centre de Bruay-la-Buissière : vérifiez-le"
    )
    initiative.refresh_from_db()
    assert initiative.latitude == 45.75
    assert page.console_errors == []
