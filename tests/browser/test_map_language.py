"""The map's JavaScript shows the words the server translated (the "text" of its json_script
options), in the page's language, with the counts filled in."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo():
    call_command("load_demo", only_demo_places=True, verbosity=0)


def test_the_map_speaks_french_in_its_clusters_and_shared_markers(page, live_server, demo):
    page.goto(live_server.url + "/carte/")
    cluster = page.locator(".map-cluster").first
    expect(cluster).to_have_attribute(
        "title", re.compile(r"^\d+ initiatives ici : zoomez pour les voir$")
    )

    page.goto(live_server.url + "/carte/?territory=bas-rhin")
    shared = page.locator(".map-marker").filter(has=page.locator(".map-dot-count"))
    expect(shared).to_have_attribute("title", "2 initiatives à cet endroit")
    shared.click()
    expect(page.locator(".map-popup-heading")).to_have_text("2 initiatives à cet endroit")
    assert page.console_errors == []


def test_the_english_map_speaks_english(page, live_server, demo):
    page.goto(live_server.url + "/en/carte/")
    cluster = page.locator(".map-cluster").first
    expect(cluster).to_have_attribute("title", re.compile(r"^\d+ initiatives here: zoom in$"))
    assert page.console_errors == []
