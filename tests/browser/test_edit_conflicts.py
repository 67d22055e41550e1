"""Two curators edit the same initiative in two browser pages: the second save is refused,
says what the first changed, keeps what the second typed, and saves once merged."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from initiatives.models import Initiative
from tests.conftest import create_curator

# serialized_rollback keeps the Curators group that a migration creates.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def logged_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    return page


def test_the_second_of_two_saves_is_refused_then_merged(browser, live_server, curator, directory):
    call_command("createinitialrevisions", verbosity=0)
    second_curator = create_curator("curateur2")
    maison = directory["maison"]
    url = f"{live_server.url}/admin/initiatives/initiative/{maison.pk}/change/"
    first = logged_in_page(browser, live_server, curator)
    second = logged_in_page(browser, live_server, second_curator)
    first.goto(url)
    second.goto(url)

    first.locator("#id_name").fill("Maison des échanges de Bruay")
    first.locator("input[name=_continue]").first.click()
    expect(first.locator(".messagelist .success")).to_be_visible()

    typed = "Un lieu où l'on troque, donne et répare."
    second.locator("#id_summary").fill(typed)
    second.locator("input[name=_continue]").first.click()
    refusal = second.locator(".errorlist.nonfield")
    expect(refusal).to_contain_text("curatrice a enregistré cette fiche")
    expect(refusal).to_contain_text("Maison des échanges → Maison des échanges de Bruay")
    expect(second.locator("#id_summary")).to_have_value("Un lieu où l'on troque, donne et répare.")
    assert (
        Initiative.objects.get(pk=maison.pk).summary != "Un lieu où l'on troque, donne et répare."
    )

    second.locator("#id_name").fill("Maison des échanges de Bruay")
    second.locator("input[name=_continue]").first.click()
    expect(second.locator(".messagelist .success")).to_be_visible()
    saved = Initiative.objects.get(pk=maison.pk)
    assert (saved.name, saved.summary) == ("Maison des échanges de Bruay", typed)
    for page in (first, second):
        page.context.close()
