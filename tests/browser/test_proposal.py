"""The whole proposal flow in Chromium: a visitor proposes, a curator finds it in the queue,
previews it, publishes it, and the visitor sees it public."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from actors.models import Involvement
from initiatives.models import Initiative, Proposal
from tests.browser.conftest import log_in
from tests.conftest import create_actor, create_initiative

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_proposal_from_the_form_to_the_public_page(page, live_server, territories, curator):
    funder = create_actor("Fondation Solidarités Nord")
    known = create_initiative("Recyclerie", commune=territories["bruay"])
    Involvement.objects.create(initiative=known, actor=funder, role="funder")

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/proposer/")
    page.get_by_label("Nom", exact=True).fill("Atelier vélo solidaire")
    page.get_by_label("Résumé").fill("Réparer son vélo ensemble, à prix libre.")
    # The commune's autocomplete suggests "Bruay-la-Buissière (62)"; choosing it centres the map.
    commune = page.get_by_label("Commune")
    commune.press_sequentially("bruay")
    expect(page.locator("#commune-suggestions option")).to_have_count(1)
    commune.fill("Bruay-la-Buissière (62)")
    commune.dispatch_event("input")
    use_centre = page.locator("[data-location-commune]")
    expect(use_centre).to_contain_text("Bruay-la-Buissière")
    use_centre.click()
    expect(page.locator("#id_latitude")).to_have_value("50.483300")
    # An actor from the directory, suggested as one types.
    actor = page.locator("#id_actors-0-name")
    actor.press_sequentially("fonda")
    expect(page.locator("#actor-suggestions option")).to_have_count(1)
    actor.fill("Fondation Solidarités Nord")
    page.locator("#id_actors-0-role").select_option("funder")
    page.get_by_label("Votre nom").fill("Camille Martin")
    page.get_by_label("Votre e-mail").fill("camille@example.org")
    page.get_by_label("J’accepte").check()
    page.screenshot(path="/tmp/proposal-form-360.png", full_page=True)
    page.get_by_role("button", name="Envoyer la proposition").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Merci")
    proposal = Proposal.objects.get()
    assert proposal.initiative.status == Initiative.Status.SUBMITTED
    assert proposal.initiative.latitude == pytest.approx(50.4833)
    assert proposal.initiative.involvements.get().actor == funder
    public_url = f"{live_server.url}{proposal.initiative.get_absolute_url()}"
    assert Client().get(proposal.initiative.get_absolute_url()).status_code == 404

    # The curator: the queue, the preview under its banner, the decision.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, curator)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="1 proposition du public à modérer").click()
    page.get_by_role("link", name="Atelier vélo solidaire").click()
    page.get_by_role("link", name="Prévisualiser sa page publique").click()
    expect(page.locator(".preview-banner")).to_contain_text("Proposée — non publiée")
    page.go_back()
    page.screenshot(path="/tmp/proposal-moderation-1280.png", full_page=True)
    page.get_by_role("button", name="Publier").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Publiée")

    page.context.clear_cookies()
    assert page.goto(public_url).status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Atelier vélo solidaire")
    expect(page.locator(".preview-banner")).to_have_count(0)
    assert page.console_errors == []
