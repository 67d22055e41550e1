"""Proposals from the public: the form, its anti-abuse rules, moderation, privacy, purge."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision

from actors.models import Actor, Involvement
from initiatives.freshness import current_version
from initiatives.models import Initiative, Proposal, Territory
from tests.conftest import create_actor, create_initiative, make_territory

EMAIL = "camille.martin@example.org"


def text_of(response):
    return " ".join(response.content.decode().split())


@pytest.fixture
def site(territories, themes, commit):
    """The conftest's territories and themes, and a published initiative with a public funder."""
    funder = create_actor("Fondation Solidarités Nord")
    published = create_initiative(
        "Recyclerie du Bruaysis",
        commune=territories["bruay"],
        latitude=50.48,
        longitude=2.55,
        website="https://www.recyclerie-bruay.fr/",
    )
    Involvement.objects.create(initiative=published, actor=funder, role="funder")
    return {**territories, **themes, "funder": funder, "published": published, "commit": commit}


def proposal_data(**changes):
    data = {
        "name": "Atelier vélo solidaire",
        "summary": "Réparer son vélo ensemble, à prix libre.",
        "description": "Un atelier <b>ouvert</b> deux soirs par semaine.",
        "how_it_works": "Des bénévoles montrent, chacun répare.",
        "obstacles": "Trouver un local.",
        "enablers": "La mairie prête une salle.",
        "themes": [],
        "stage": "experimentation",
        "commune": "Bruay-la-Buissière",
        "latitude": "",
        "longitude": "",
        "website": "https://atelier-velo.example.org",
        "contributor_name": "Camille Martin",
        "contributor_email": EMAIL,
        "consent": "on",
        "nickname": "",
        "started": started_long_ago(),
        "actors-TOTAL_FORMS": "4",
        "actors-INITIAL_FORMS": "0",
        "actors-MIN_NUM_FORMS": "0",
        "actors-MAX_NUM_FORMS": "10",
        "actors-0-name": "Collectif Roue Libre",
        "actors-0-role": "carrier",
        "actors-1-name": "fondation solidarités nord",
        "actors-1-role": "funder",
    }
    data.update(changes)
    return data


def started_long_ago():
    from django.core import signing

    from initiatives.contributions import SIGNER_SALT

    return signing.TimestampSigner(salt=SIGNER_SALT).sign(str(timezone.now().timestamp() - 60))


def propose(client, site, **changes):
    with site["commit"]():
        return client.post(reverse("propose"), proposal_data(**changes))


def test_a_visitor_proposes_an_initiative_that_stays_private_until_published(client, site):
    assert client.get(reverse("propose")).status_code == 200
    version = current_version()
    response = propose(client, site, themes=[site["circular"].pk])

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("proposal_sent", args=[proposal.token])
    initiative = proposal.initiative
    assert initiative.status == Initiative.Status.SUBMITTED
    assert initiative.commune == site["bruay"]
    assert list(initiative.themes.all()) == [site["circular"]]
    assert (proposal.contributor_name, proposal.contributor_email) == ("Camille Martin", EMAIL)
    # The existing funder is reused (its name typed in lower case); the new actor is unlisted.
    roles = {i.role: i.actor for i in initiative.involvements.select_related("actor")}
    assert roles["funder"] == site["funder"]
    assert roles["carrier"].name == "Collectif Roue Libre"
    assert not Actor.objects.public().filter(pk=roles["carrier"].pk).exists()
    # One revision, naming the contributor for the curators; the write path bumped the version.
    assert Revision.objects.latest("pk").comment.startswith("Proposée depuis le formulaire public")
    assert current_version() > version

    # The confirmation, then the e-mail with the private status link.
    sent = client.get(response["Location"])
    assert "Merci" in text_of(sent)
    assert EMAIL not in sent.content.decode()
    [to_contributor] = [m for m in mail.outbox if m.to == [EMAIL]]
    status_url = reverse("proposal_status", args=[proposal.token])
    assert status_url in to_contributor.body
    assert "en attente" in text_of(client.get(status_url))

    # Nothing public: the page, the list, the search, the actor's page.
    assert client.get(initiative.get_absolute_url()).status_code == 404
    assert "Atelier vélo" not in text_of(client.get(reverse("initiative_list"), {"q": "vélo"}))
    assert client.get(roles["carrier"].get_absolute_url()).status_code == 404


def test_curators_are_told_of_a_proposal_unless_turned_off(client, site, curator):
    curator.email = "curatrice@example.org"
    curator.save()
    propose(client, site)
    assert any(m.to == ["curatrice@example.org"] for m in mail.outbox)
    mail.outbox.clear()
    with override_settings(NOTIFY_CURATORS=False):
        propose(client, site, name="Deuxième atelier")
    assert [m.to for m in mail.outbox] == [[EMAIL]]


def test_a_commune_several_bear_is_chosen_by_its_departement_without_javascript(client, site):
    nord = make_territory("nord", "Nord", Territory.Kind.DEPARTEMENT, site["hauts-de-france"], "59")
    make_territory("bruay-sur-l-escaut-59112", "Bruay-la-Buissière", "commune", nord, "59112")

    response = propose(client, site)
    assert response.status_code == 400
    page = text_of(response)
    assert "Plusieurs communes portent ce nom" in page
    assert "Bruay-la-Buissière (62)" in page and "Bruay-la-Buissière (59)" in page

    response = propose(client, site, commune="Bruay-la-Buissière (62)")
    assert response.status_code == 302
    assert Proposal.objects.get().initiative.commune == site["bruay"]


def test_the_commune_autocomplete_labels_communes_with_their_departement(client, site):
    response = client.get(reverse("commune_suggestions"), {"q": "bruay"})
    assert response.json()["results"] == [
        {"id": site["bruay"].pk, "label": "Bruay-la-Buissière (62)"}
    ]
    # Only communes: the département of Moselle is not one.
    assert client.get(reverse("commune_suggestions"), {"q": "mosel"}).json()["results"] == []


def test_the_actor_autocomplete_offers_public_actors_only(client, site):
    create_actor("Fondation Cachée")  # in no published initiative
    names = [
        r["label"]
        for r in client.get(reverse("actor_suggestions"), {"q": "fondation"}).json()["results"]
    ]
    assert names == ["Fondation Solidarités Nord"]


# --- Anti-abuse, rule by rule: each refusal says why and keeps what was typed ----------------


def assert_refused_and_kept(response, status, message):
    assert response.status_code == status
    page = text_of(response)
    assert message in page
    assert 'value="Atelier vélo solidaire"' in response.content.decode()
    assert not Proposal.objects.exists()


def test_the_honeypot_refuses_a_robot(client, site):
    response = propose(client, site, nickname="http://spam.example")
    assert_refused_and_kept(response, 400, "robots le remplissent")


@override_settings(CONTRIBUTION_MIN_SECONDS=30)
def test_a_form_sent_faster_than_a_person_is_refused(client, site):
    from initiatives.contributions import started_token

    response = propose(client, site, started=started_token())
    assert_refused_and_kept(response, 400, "plus vite qu’une personne")
    # A forged or missing timestamp is refused the same way.
    assert propose(client, site, started="forged").status_code == 400


@override_settings(PROPOSAL_RATE_LIMIT="2/h")
def test_an_address_sends_at_most_the_rate_limit(client, site):
    assert propose(client, site, name="Un").status_code == 302
    assert propose(client, site, name="Deux").status_code == 302
    Proposal.objects.all().delete()
    response = propose(client, site)
    assert_refused_and_kept(response, 429, "Trop de propositions")


def test_every_field_has_a_size_limit_and_the_lists_a_count_limit(client, site, themes):
    from initiatives.models import Theme

    assert_refused_and_kept(
        propose(client, site, description="x" * 5001), 400, "au plus 5000 caractères"
    )
    many_themes = [Theme.objects.create(name=f"Thème {n}", slug=f"theme-{n}").pk for n in range(6)]
    assert_refused_and_kept(propose(client, site, themes=many_themes), 400, "au plus 5 thèmes")
    rows = {"actors-TOTAL_FORMS": "11"}
    for number in range(11):
        rows[f"actors-{number}-name"] = f"Acteur {number}"
        rows[f"actors-{number}-role"] = "support"
    assert_refused_and_kept(propose(client, site, **rows), 400, "10 formulaires")
    assert_refused_and_kept(propose(client, site, contributor_name="x" * 121), 400, "120")


def test_consent_and_the_contributor_s_e_mail_are_required(client, site):
    response = propose(client, site, consent="")
    assert_refused_and_kept(response, 400, "Ce champ est obligatoire")
    assert_refused_and_kept(
        propose(client, site, contributor_email="pas une adresse"), 400, "valide"
    )


def test_html_in_a_proposal_stays_inert_once_published(client, site):
    propose(client, site, name="<script>alert(1)</script> Atelier")
    initiative = Proposal.objects.get().initiative
    with site["commit"]():
        Proposal.objects.get().publish()
    page = client.get(Initiative.objects.get(pk=initiative.pk).get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Atelier" in page
    assert "<b>ouvert</b>" not in page


@pytest.mark.django_db
def test_a_point_far_outside_the_commune_s_departement_is_questioned(client, site):
    from initiatives.models import TerritoryBoundary

    square = {
        "type": "Polygon",
        "coordinates": [[[1.5, 50], [3, 50], [3, 51], [1.5, 51], [1.5, 50]]],
    }
    TerritoryBoundary.objects.create(
        territory=site["pas-de-calais"], geometry=square, west=1.5, south=50, east=3, north=51
    )
    far = {"latitude": "43.6", "longitude": "1.44"}  # Toulouse
    response = propose(client, site, **far)
    assert response.status_code == 400
    assert "loin du département de Bruay-la-Buissière (62)" in text_of(response)
    assert propose(client, site, **far, point_checked="on").status_code == 302
    assert propose(client, site, name="Près", latitude="50.5", longitude="2.5").status_code == 302


# --- Moderation ------------------------------------------------------------------------------


@pytest.fixture
def proposal(client, site):
    propose(client, site)
    return Proposal.objects.get()


def moderate(client, proposal, commit, **decision):
    url = reverse("admin:initiatives_proposal_moderate", args=[proposal.pk])
    with commit():
        return client.post(url, decision)


def test_the_queue_lists_pending_proposals_oldest_first_and_the_index_counts_them(
    client, site, curator
):
    propose(client, site, name="Premier")
    propose(client, site, name="Second")
    client.force_login(curator)
    page = text_of(client.get(reverse("admin:initiatives_proposal_changelist")))
    assert page.index("Premier") < page.index("Second")
    assert "2 propositions du public à modérer" in text_of(client.get(reverse("admin:index")))


def test_a_curator_previews_then_publishes_a_proposal(client, site, curator, proposal):
    client.force_login(curator)
    page = client.get(reverse("admin:initiatives_proposal_change", args=[proposal.pk]))
    assert "Atelier vélo solidaire" in text_of(page)
    preview = client.get(proposal.initiative.get_absolute_url())
    assert "Proposée — non publiée" in text_of(preview)

    response = moderate(client, proposal, site["commit"], action="publish")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PUBLISHED and proposal.moderated_at
    assert proposal.initiative.status == Initiative.Status.PUBLISHED
    assert Revision.objects.latest("pk").user == curator
    client.logout()
    assert client.get(proposal.initiative.get_absolute_url()).status_code == 200
    status = text_of(client.get(proposal.get_absolute_url()))
    assert (
        "publiée" in status
        and proposal.initiative.get_absolute_url()
        in client.get(proposal.get_absolute_url()).content.decode()
    )
    # The new actor is public now, with the initiative.
    assert Actor.objects.public().filter(name="Collectif Roue Libre").exists()


def test_publishing_from_the_initiative_list_publishes_the_proposal_too(site, proposal):
    with site["commit"]():
        Initiative.objects.filter(pk=proposal.initiative_id).publish()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PUBLISHED


def test_a_rejection_says_why_to_the_contributor(client, site, curator, proposal):
    client.force_login(curator)
    mail.outbox.clear()
    response = moderate(client, proposal, site["commit"], action="reject", reason="")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING  # no reason, no rejection

    moderate(client, proposal, site["commit"], action="reject", reason="Hors du territoire.")
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.REJECTED
    assert proposal.initiative.status == Initiative.Status.ARCHIVED
    [message] = mail.outbox
    assert message.to == [EMAIL] and "Hors du territoire." in message.body
    client.logout()
    assert "Hors du territoire." in text_of(client.get(proposal.get_absolute_url()))
    assert client.get(proposal.initiative.get_absolute_url()).status_code == 404


def test_possible_duplicates_are_shown_and_a_merge_moves_the_involvements(client, site, curator):
    propose(
        client,
        site,
        name="Recyclerie du Bruaisis",
        latitude="50.4801",
        longitude="2.5501",
        website="http://recyclerie-bruay.fr",
        **{"actors-1-name": ""},
    )
    proposal = Proposal.objects.get()
    published = site["published"]
    assert [
        (initiative.pk, str(reason))
        for initiative, reason in Initiative.objects.published().possible_duplicates_of(
            proposal.initiative
        )
    ] == [(published.pk, "même site web")]
    client.force_login(curator)
    page = text_of(client.get(reverse("admin:initiatives_proposal_change", args=[proposal.pk])))
    assert "Fusionner avec « Recyclerie du Bruaysis »" in page

    moderate(client, proposal, site["commit"], action="merge", target=published.pk)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.MERGED and proposal.merged_into == published
    assert published.involvements.filter(actor__name="Collectif Roue Libre").exists()
    assert proposal.initiative.status == Initiative.Status.ARCHIVED
    # Both keep their history.
    from reversion.models import Version

    assert Version.objects.get_for_object(proposal.initiative).exists()
    assert Version.objects.get_for_object(published).exists()


def test_a_similar_name_nearby_is_a_possible_duplicate_and_a_far_one_is_not(site):
    near = create_initiative("Recyclerie Bruaysis", latitude=50.481, longitude=2.551)
    far = create_initiative("Recyclerie du Bruaysis 2", latitude=43.6, longitude=1.44, slug="r2")
    found = [i for i, _reason in Initiative.objects.possible_duplicates_of(near)]
    assert site["published"] in found and far not in found


def test_only_curators_moderate(client, site, proposal):
    assert moderate(client, proposal, site["commit"], action="publish").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING  # sent to the login page


# --- Personal data ---------------------------------------------------------------------------


def test_no_contributor_e_mail_or_name_on_any_public_page_or_export(client, site, proposal):
    with site["commit"]():
        proposal.publish()
    initiative = proposal.initiative
    pages = [
        initiative.get_absolute_url(),
        reverse("initiative_list"),
        reverse("home"),
        proposal.get_absolute_url(),
        reverse("initiatives_csv"),
        reverse("initiatives_json"),
        reverse("initiatives_geojson"),
        reverse("initiatives_gogocarto"),
        Actor.objects.get(name="Collectif Roue Libre").get_absolute_url(),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert EMAIL.encode() not in body, url
        assert b"Camille Martin" not in body, url


def test_the_privacy_page_says_what_is_kept_and_for_how_long(client, db):
    with override_settings(CONTRIBUTOR_DATA_RETENTION_DAYS=200):
        page = text_of(client.get(reverse("privacy")))
    assert "200 jours après la modération" in page


def test_the_purge_deletes_contact_data_past_its_retention_after_moderation(client, site):
    for name in ("Ancienne", "Récente", "En attente"):
        propose(client, site, name=name)
    old, recent, pending = Proposal.objects.order_by("pk")
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Proposal.objects.filter(pk=old.pk).update(status="rejected", moderated_at=long_ago)
    Proposal.objects.filter(pk=recent.pk).update(status="rejected", moderated_at=timezone.now())
    Proposal.objects.filter(pk=pending.pk).update(created_at=long_ago)

    output = io.StringIO()
    call_command("purge_contributions", stdout=output)
    assert "Contact data deleted from 1 propositions" in output.getvalue()

    old, recent, pending = Proposal.objects.order_by("pk")
    assert (old.contributor_name, old.contributor_email) == ("", "")
    assert recent.contributor_email == EMAIL
    assert pending.contributor_email == EMAIL
    assert Initiative.objects.filter(name="Ancienne").exists()


# --- Corrections -----------------------------------------------------------------------------


def correction_data(initiative, **changes):
    from initiatives.contributions import commune_label
    from initiatives.models import Correction

    data = {name: getattr(initiative, name) or "" for name in Correction.FIELDS}
    # As the form shows them: the commune by its label, the themes by their pks.
    data["commune"] = commune_label(initiative.commune) if initiative.commune else ""
    data["themes"] = [theme.pk for theme in initiative.themes.all()]
    data.update(
        {"comment": "", "contributor_name": "", "contributor_email": "", "nickname": ""},
        started=started_long_ago(),
    )
    data.update(changes)
    return data


def suggest(client, site, **changes):
    initiative = site["published"]
    with site["commit"]():
        return client.post(
            reverse("correct", args=[initiative.slug]), correction_data(initiative, **changes)
        )


def moderate_correction(client, correction, commit, **decision):
    url = reverse("admin:initiatives_correction_moderate", args=[correction.pk])
    with commit():
        return client.post(url, decision)


def test_a_suggested_correction_is_stored_not_applied(client, site):
    from initiatives.models import Correction

    published = site["published"]
    page = client.get(published.get_absolute_url())
    assert reverse("correct", args=[published.slug]) in page.content.decode()
    assert client.get(reverse("correct", args=[published.slug])).status_code == 200

    response = suggest(
        client,
        site,
        summary="Une ressourcerie qui répare aussi les vélos.",
        comment="Vu sur leur site.",
        contributor_email=EMAIL,
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert correction.changes == {"summary": "Une ressourcerie qui répare aussi les vélos."}
    assert correction.seen == {"summary": published.summary}
    published.refresh_from_db()
    assert published.summary != "Une ressourcerie qui répare aussi les vélos."
    assert EMAIL not in client.get(published.get_absolute_url()).content.decode()


def test_a_correction_that_changes_nothing_and_says_nothing_is_refused(client, site):
    response = suggest(client, site)
    assert response.status_code == 400
    assert "Modifiez un champ" in text_of(response)


def test_a_correction_of_an_unpublished_initiative_is_a_404(client, site):
    draft = create_initiative("Brouillon", status=Initiative.Status.DRAFT)
    assert client.get(reverse("correct", args=[draft.slug])).status_code == 404


@override_settings(CORRECTION_RATE_LIMIT="1/h")
def test_an_address_sends_at_most_the_correction_rate_limit(client, site):
    assert suggest(client, site, comment="Un").status_code == 302
    response = suggest(client, site, comment="Deux")
    assert response.status_code == 429
    assert "Trop de corrections" in text_of(response)


def test_the_honeypot_guards_corrections_too(client, site):
    response = suggest(client, site, comment="Spam", nickname="spam")
    assert response.status_code == 400


def test_a_curator_sees_the_diff_and_accepts_an_edited_correction(client, site, curator):
    from initiatives.models import Correction

    suggest(client, site, summary="Ressourcerie et atelier vélo.", contributor_name="Camille")
    correction = Correction.objects.get()
    client.force_login(curator)
    assert "1 correction du public à modérer" in text_of(client.get(reverse("admin:index")))
    page = text_of(client.get(reverse("admin:initiatives_correction_change", args=[correction.pk])))
    assert "Ressourcerie et atelier vélo." in page and site["published"].summary in page

    moderate_correction(
        client,
        correction,
        site["commit"],
        action="accept",
        **{"accept-summary": "Ressourcerie, atelier vélo."},
    )
    correction.refresh_from_db()
    assert correction.status == Correction.Status.ACCEPTED
    published = Initiative.objects.get(pk=site["published"].pk)
    assert published.summary == "Ressourcerie, atelier vélo."
    revision = Revision.objects.latest("pk")
    assert revision.user == curator and "Camille" in revision.comment
    assert "Ressourcerie, atelier vélo." in text_of(client.get(published.get_absolute_url()))


def test_a_rejected_correction_says_why_to_its_contributor(client, site, curator):
    from initiatives.models import Correction

    suggest(client, site, website="https://ailleurs.example", contributor_email=EMAIL)
    correction = Correction.objects.get()
    client.force_login(curator)
    mail.outbox.clear()
    moderate_correction(
        client, correction, site["commit"], action="reject", reason="Ce n’est pas leur site."
    )
    correction.refresh_from_db()
    assert correction.status == Correction.Status.REJECTED
    [message] = mail.outbox
    assert message.to == [EMAIL] and "Ce n’est pas leur site." in message.body
    assert Initiative.objects.get(pk=site["published"].pk).website == site["published"].website


def test_two_waiting_corrections_are_both_kept_and_the_second_shows_what_changed_since(
    client, site, curator
):
    from initiatives.models import Correction

    suggest(client, site, summary="Première version.")
    suggest(client, site, summary="Seconde version.", obstacles="Le local est trop petit.")
    first, second = Correction.objects.order_by("pk")
    client.force_login(curator)
    page = text_of(client.get(reverse("admin:initiatives_correction_change", args=[first.pk])))
    assert "D’autres corrections de cette initiative attendent" in page

    moderate_correction(
        client, first, site["commit"], action="accept", **{"accept-summary": "Première version."}
    )
    second.refresh_from_db()
    assert second.status == Correction.Status.PENDING
    page = text_of(client.get(reverse("admin:initiatives_correction_change", args=[second.pk])))
    # The summary changed since the second was written: the curator is told, with what the
    # visitor saw; the obstacles did not.
    assert page.count("Modifié depuis cette suggestion") == 1
    assert "Première version." in page and "Seconde version." in page


def test_a_correction_of_the_commune_and_themes_is_compared_by_name_and_applied(
    client, site, curator
):
    from initiatives.models import Correction

    published = site["published"]
    published.themes.add(site["circular"])
    suggest(
        client,
        site,
        commune="Florange (57)",
        themes=[site["circular"].pk, site["employment"].pk],
    )
    correction = Correction.objects.get()
    assert correction.changes == {
        "commune": site["florange"].pk,
        "themes": sorted([site["circular"].pk, site["employment"].pk]),
    }
    assert correction.seen == {"commune": site["bruay"].pk, "themes": [site["circular"].pk]}
    client.force_login(curator)
    page = text_of(client.get(reverse("admin:initiatives_correction_change", args=[correction.pk])))
    assert "Florange" in page and "Emploi, insertion &amp; formation" in page

    moderate_correction(client, correction, site["commit"], action="accept")
    published.refresh_from_db()
    assert published.commune == site["florange"]
    assert set(published.themes.all()) == {site["circular"], site["employment"]}
