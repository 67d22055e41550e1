"""Territorial curators: a curator limited to a région sees, edits, moderates and publishes only
what is located or acts there, in every admin page and action, and reaches nothing else by
guessing addresses."""

import io

import pytest
import reversion
from django.contrib.auth.models import User
from django.urls import reverse
from reversion.models import Version

from actors.models import Involvement
from evaluation.models import Assessment, Framework, Indicator, Observation
from initiatives.models import Correction, Initiative, Proposal, TerritorialCurator
from tests.conftest import create_actor, create_curator, create_initiative


@pytest.fixture
def region(territories, commit):
    """Drafts in the Hauts-de-France (one located there, one acting there from the Moselle)
    and in the Grand Est, each with what hangs off an initiative; a curator of the
    Hauts-de-France."""
    with commit():
        north = create_initiative("Atelier du Nord", status="draft", commune=territories["bruay"])
        acting = create_initiative(
            "Réseau de l'Est", status="draft", commune=territories["florange"]
        )
        acting.action_territories.add(territories["pas-de-calais"])
        east = create_initiative(
            "Atelier de l'Est", status="draft", commune=territories["florange"]
        )
    actor = create_actor("Collectif")
    framework = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    indicator = Indicator.objects.get(slug="emplois-crees-etp")
    start, end = Observation.year_period(2024)
    for initiative in (north, acting, east):
        Involvement.objects.create(initiative=initiative, actor=actor, role="carrier")
        Proposal.objects.create(initiative=initiative, contributor_email="x@example.org")
        Correction.objects.create(initiative=initiative, changes={"summary": "x"})
        Assessment.objects.create(initiative=initiative, framework=framework, method="curator")
        Observation.objects.create(
            indicator=indicator, initiative=initiative, period_start=start, period_end=end, value=1
        )
    Observation.objects.create(
        indicator=indicator,
        territory=territories["moselle"],
        period_start=start,
        period_end=end,
        value=2,
    )
    curator = create_curator("cress-hdf")
    TerritorialCurator.objects.create(user=curator, territory=territories["hauts-de-france"])
    return {"north": north, "acting": acting, "east": east, "curator": curator, **territories}


@pytest.fixture
def regional_client(client, region):
    client.force_login(region["curator"])
    return client


CHANGELISTS = {
    "initiative": "admin:initiatives_initiative_changelist",
    "proposal": "admin:initiatives_proposal_changelist",
    "correction": "admin:initiatives_correction_changelist",
    "assessment": "admin:evaluation_assessment_changelist",
    "observation": "admin:evaluation_observation_changelist",
    "involvement": "admin:actors_involvement_changelist",
}


def listed(client, model_name):
    response = client.get(reverse(CHANGELISTS[model_name]))
    assert response.status_code == 200
    return response.context["cl"].result_list


def test_every_list_holds_only_what_the_curator_s_territories_hold(regional_client, region):
    mine = {region["north"], region["acting"]}
    assert set(listed(regional_client, "initiative")) == mine
    for model_name in ("proposal", "correction", "assessment", "involvement"):
        assert {row.initiative for row in listed(regional_client, model_name)} == mine, model_name
    observations = listed(regional_client, "observation")
    assert {o.initiative for o in observations} == mine  # not the Moselle's own


def test_a_national_curator_and_a_superuser_see_everything(client, region, curator):
    client.force_login(curator)
    assert len(listed(client, "initiative")) == 3
    client.force_login(User.objects.create_superuser("admin", "a@example.org", None))
    assert len(listed(client, "initiative")) == 3
    assert len(listed(client, "observation")) == 4


def test_guessed_addresses_reach_nothing_of_another_territory(regional_client, region):
    east = region["east"]
    for url in [
        reverse("admin:initiatives_initiative_change", args=[east.pk]),
        reverse("admin:initiatives_initiative_history", args=[east.pk]),
        reverse("admin:initiatives_proposal_change", args=[east.proposal.pk]),
        reverse("admin:initiatives_correction_change", args=[east.corrections.get().pk]),
        reverse("admin:evaluation_assessment_change", args=[east.assessments.get().pk]),
        reverse("admin:evaluation_observation_change", args=[east.observations.get().pk]),
    ]:
        response = regional_client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    assert regional_client.get(east.get_absolute_url()).status_code == 404  # the preview
    compare = reverse("admin:initiatives_initiative_compare", args=[east.pk])
    assert regional_client.get(compare, {"older": "1", "newer": "2"}).status_code == 404
    with reversion.create_revision():
        east.save()
    version = Version.objects.get_for_object(east).get()
    revision = reverse("admin:initiatives_initiative_revision", args=[east.pk, version.pk])
    assert regional_client.get(revision).status_code == 404
    assert (
        regional_client.get(reverse("admin:initiatives_initiative_recoverlist")).status_code == 403
    )
    # Their own drafts, they preview.
    assert regional_client.get(region["north"].get_absolute_url()).status_code == 200


def test_moderating_another_territory_s_proposal_does_nothing(regional_client, region, commit):
    proposal = region["east"].proposal
    url = reverse("admin:initiatives_proposal_moderate", args=[proposal.pk])
    with commit():
        regional_client.post(url, {"action": "publish"})
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING
    with commit():
        regional_client.post(
            reverse("admin:initiatives_proposal_moderate", args=[region["north"].proposal.pk]),
            {"action": "publish"},
        )
    assert Initiative.objects.get(pk=region["north"].pk).status == Initiative.Status.PUBLISHED


@pytest.mark.parametrize("action", ["publish", "archive", "unpublish"])
def test_a_bulk_action_touches_only_the_curator_s_initiatives(
    regional_client, region, commit, action
):
    selected = [region["north"].pk, region["east"].pk]
    with commit():
        regional_client.post(
            reverse("admin:initiatives_initiative_changelist"),
            {"action": action, "_selected_action": selected},
        )
    east = Initiative.objects.get(pk=region["east"].pk)
    assert east.status == Initiative.Status.DRAFT and east.edit_count == region["east"].edit_count


def test_an_assessment_bulk_action_is_scoped_too(regional_client, region, commit):
    selected = [a.pk for a in Assessment.objects.all()]
    before = Assessment.objects.get(initiative=region["east"]).edit_count
    with commit():
        regional_client.post(
            reverse("admin:evaluation_assessment_changelist"),
            {"action": "unpublish", "_selected_action": selected},
        )
    assert Assessment.objects.get(initiative=region["east"]).edit_count == before
    assert Assessment.objects.get(initiative=region["north"]).edit_count == before + 1


def test_an_initiative_cannot_be_moved_out_of_the_curator_s_territories(regional_client, region):
    from tests.forms import form_data

    url = reverse("admin:initiatives_initiative_change", args=[region["north"].pk])
    data = form_data(regional_client.get(url), "initiative_form")
    data["commune"] = [str(region["florange"].pk)]
    response = regional_client.post(url, data)
    assert response.status_code == 200
    assert "Placez cette initiative dans l’un de vos territoires" in response.content.decode()
    assert Initiative.objects.get(pk=region["north"].pk).commune == region["bruay"]


def test_only_superusers_say_who_curates_which_territory(regional_client, client, region):
    url = reverse("admin:initiatives_territorialcurator_changelist")
    assert regional_client.get(url).status_code == 403
    client.force_login(User.objects.create_superuser("admin", "a@example.org", None))
    assert client.get(url).status_code == 200


def test_create_curator_limits_a_curator_to_territories(territories, monkeypatch):
    from django.core.management import call_command

    from initiatives.management.commands import create_curator

    monkeypatch.setattr(create_curator, "getpass", lambda prompt: "une phrase de passe longue")
    call_command("create_curator", "cress", "--territory", "hauts-de-france", stdout=io.StringIO())
    user = User.objects.get(username="cress")
    assert [t.territory for t in user.curated_territories.all()] == [territories["hauts-de-france"]]


def test_the_curators_of_a_proposal_s_territory_are_told_not_the_others(
    client, territories, themes, commit, curator
):
    from django.core import mail

    from tests.test_contributions import proposal_data

    curator.email = "national@example.org"
    curator.save()
    north = create_curator("cress-hdf")
    north.email = "hdf@example.org"
    north.save()
    TerritorialCurator.objects.create(user=north, territory=territories["hauts-de-france"])
    east = create_curator("cress-ge")
    east.email = "ge@example.org"
    east.save()
    TerritorialCurator.objects.create(user=east, territory=territories["grand-est"])
    with commit():
        client.post(reverse("propose"), proposal_data(**{"actors-1-name": ""}))
    told = {address for message in mail.outbox for address in message.to}
    assert {"national@example.org", "hdf@example.org"} <= told
    assert "ge@example.org" not in told
