"""The curators' admin: every page of every content model, for the right people only."""

import datetime
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from reversion.models import Revision

from actors.models import Actor, Involvement
from evaluation.models import Assessment, Framework, Indicator, Observation
from initiatives.freshness import current_version
from initiatives.history import HistoryAdmin
from initiatives.models import (
    Correction,
    ImportMapping,
    ImportRun,
    Initiative,
    Proposal,
    TerritorialCurator,
)

CONTENT_APPS = {"initiatives", "actors", "evaluation"}
CONTENT_MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    # Who curates which territory is for superusers (tests/test_territorial_curators.py).
    if model._meta.app_label in CONTENT_APPS and model is not TerritorialCurator
)


# Proposals and corrections come from the public forms, never from the admin; the one legal
# notice comes with the migrations.
WITHOUT_ADD_PAGE = {
    ("initiatives", "proposal"),
    ("initiatives", "correction"),
    ("initiatives", "legalnotice"),
}


def admin_urls(app_label, model_name, obj=None):
    urls = [reverse(f"admin:{app_label}_{model_name}_changelist")]
    if (app_label, model_name) not in WITHOUT_ADD_PAGE:
        urls.append(reverse(f"admin:{app_label}_{model_name}_add"))
    if obj is not None:
        urls.append(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
        urls.append(reverse(f"admin:{app_label}_{model_name}_history", args=[obj.pk]))
    if isinstance(admin.site._registry[apps.get_model(app_label, model_name)], HistoryAdmin):
        urls.append(reverse(f"admin:{app_label}_{model_name}_recoverlist"))
    return urls


def first_object(app_label, model_name):
    obj = apps.get_model(app_label, model_name).objects.first()
    assert obj is not None, f"no {model_name} to open the change page of"
    return obj


@pytest.fixture
def content(directory):
    """The directory plus what the evaluation adds: one of every content model."""
    Assessment.objects.create(
        initiative=directory["maison"],
        framework=Framework.objects.get(slug="marqueurs-godin", is_current=True),
        method=Assessment.Method.CURATOR,
    )
    start, end = Observation.year_period(2022)
    Observation.objects.create(
        indicator=Indicator.objects.get(slug="emplois-crees-etp"),
        initiative=directory["fe2i"],
        period_start=start,
        period_end=end,
        value=21,
        source="Rapport d'activité",
    )
    ImportMapping.objects.create(name="Tableur CRESS", source="cress", mapping={"columns": {}})
    Proposal.objects.create(
        initiative=directory["draft"], contributor_name="Camille", contributor_email="c@example.org"
    )
    Correction.objects.create(
        initiative=directory["maison"], changes={"summary": "Mieux dit."}, seen={"summary": "x"}
    )
    ImportRun.objects.create(
        file=ContentFile(b"nom\nAtelier", name="atelier.csv"), file_name="atelier.csv", source="x"
    )
    return directory


@pytest.mark.parametrize(("app_label", "model_name"), CONTENT_MODELS)
def test_a_curator_opens_every_admin_page(curator_client, content, app_label, model_name):
    for url in admin_urls(app_label, model_name, first_object(app_label, model_name)):
        response = curator_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize(("app_label", "model_name"), CONTENT_MODELS)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, content, app_label, model_name):
    for url in admin_urls(app_label, model_name, first_object(app_label, model_name)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(("app_label", "model_name"), CONTENT_MODELS)
def test_staff_outside_the_curators_group_is_refused(client, content, app_label, model_name):
    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    for url in admin_urls(app_label, model_name, first_object(app_label, model_name)):
        assert client.get(url).status_code == 403, url


def test_curators_do_not_manage_users(curator_client):
    assert curator_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert curator_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_the_admin_speaks_french(curator_client, directory):
    response = curator_client.get(reverse("admin:initiatives_initiative_changelist"))
    assert response["Content-Language"] == "fr"
    assert "Rechercher" in response.content.decode()


def test_a_curator_publishes_and_archives_in_bulk(curator_client, directory):
    changelist = reverse("admin:initiatives_initiative_changelist")
    draft = directory["draft"]
    response = curator_client.post(
        changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == Initiative.Status.PUBLISHED
    curator_client.post(changelist, {"action": "archive", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Initiative.Status.ARCHIVED
    curator_client.post(changelist, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Initiative.Status.DRAFT


def test_the_initiative_list_filters_by_region_and_theme(curator_client, directory):
    changelist = reverse("admin:initiatives_initiative_changelist")
    response = curator_client.get(changelist, {"region": "hauts-de-france"})
    assert list(response.context["cl"].result_list) == [directory["maison"]]
    response = curator_client.get(changelist, {"theme": "emploi-insertion-formation"})
    assert list(response.context["cl"].result_list) == [directory["fe2i"]]
    response = curator_client.get(changelist, {"theme": "economie-circulaire-reemploi"})
    assert set(response.context["cl"].result_list) == {directory["maison"], directory["fe2i"]}


def test_a_curator_searches_initiatives_by_place(curator_client, directory):
    response = curator_client.get(
        reverse("admin:initiatives_initiative_changelist"), {"q": "Florange"}
    )
    assert list(response.context["cl"].result_list) == [directory["fe2i"]]


def test_a_curator_finds_an_initiative_by_its_identifier_in_a_source(curator_client, directory):
    directory["fe2i"].source_identifiers.create(source="transiscope", identifier="4f2a")
    changelist = reverse("admin:initiatives_initiative_changelist")
    for search in ("4f2a", "transiscope:4f2a"):
        response = curator_client.get(changelist, {"q": search})
        assert list(response.context["cl"].result_list) == [directory["fe2i"]]
    assert not curator_client.get(changelist, {"q": "cress:4f2a"}).context["cl"].result_list


def test_territories_autocomplete_for_the_commune_field(curator_client, directory):
    response = curator_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Bruay",
            "app_label": "initiatives",
            "model_name": "initiative",
            "field_name": "commune",
        },
    )
    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == [
        "Bruay-la-Buissière (62) — 62178"
    ]


def test_territories_are_browsable_by_parent(curator_client, territories):
    response = curator_client.get(
        reverse("admin:initiatives_territory_changelist"),
        {"parent__id__exact": territories["hauts-de-france"].pk},
    )
    assert [t.name for t in response.context["cl"].result_list] == ["Pas-de-Calais"]


def test_a_curator_adds_an_initiative_with_its_involvements(curator_client, directory):
    response = curator_client.post(
        reverse("admin:initiatives_initiative_add"),
        {
            "name": "Temps-bouilles",
            "slug": "temps-bouilles",
            "status": "draft",
            "summary": "Ressourcerie alimentaire en émergence à Morlaix.",
            "stage": "emergence",
            "involvements-TOTAL_FORMS": "2",
            "involvements-INITIAL_FORMS": "0",
            "contact-TOTAL_FORMS": "0",
            "contact-INITIAL_FORMS": "0",
            "source_identifiers-TOTAL_FORMS": "0",
            "source_identifiers-INITIAL_FORMS": "0",
            "involvements-0-actor": directory["macif"].pk,
            "involvements-0-role": "funder",
            "involvements-0-amount": "5000",
            "involvements-0-currency": "EUR",
            "involvements-1-actor": directory["macif"].pk,
            "involvements-1-role": "funder",
        },
    )
    # The same actor twice in the same role is a form error, not a crash.
    assert response.status_code == 200
    assert not Initiative.objects.filter(slug="temps-bouilles").exists()

    response = curator_client.post(
        reverse("admin:initiatives_initiative_add"),
        {
            "name": "Temps-bouilles",
            "slug": "temps-bouilles",
            "status": "draft",
            "summary": "Ressourcerie alimentaire en émergence à Morlaix.",
            "stage": "emergence",
            "involvements-TOTAL_FORMS": "1",
            "involvements-INITIAL_FORMS": "0",
            "involvements-0-actor": directory["macif"].pk,
            "involvements-0-role": "funder",
            "involvements-0-amount": "5000",
            "involvements-0-currency": "EUR",
            "contact-TOTAL_FORMS": "0",
            "contact-INITIAL_FORMS": "0",
            "source_identifiers-TOTAL_FORMS": "1",
            "source_identifiers-INITIAL_FORMS": "0",
            "source_identifiers-0-source": "transiscope",
            "source_identifiers-0-identifier": "4f2a",
        },
    )
    assert response.status_code == 302
    initiative = Initiative.objects.get(slug="temps-bouilles")
    assert initiative.involvements.get().amount == 5000
    assert [str(record) for record in initiative.source_identifiers.all()] == ["transiscope:4f2a"]


def test_an_identifier_taken_in_a_source_is_a_form_error(curator_client, directory):
    directory["fe2i"].source_identifiers.create(source="transiscope", identifier="4f2a")
    maison = directory["maison"]
    response = curator_client.post(
        reverse("admin:initiatives_initiative_change", args=[maison.pk]),
        {
            "name": maison.name,
            "slug": maison.slug,
            "status": maison.status,
            "summary": maison.summary,
            "loaded_edit_count": maison.edit_count,
            "involvements-TOTAL_FORMS": "0",
            "involvements-INITIAL_FORMS": "0",
            "contact-TOTAL_FORMS": "0",
            "contact-INITIAL_FORMS": "0",
            "source_identifiers-TOTAL_FORMS": "1",
            "source_identifiers-INITIAL_FORMS": "0",
            "source_identifiers-0-source": "transiscope",
            "source_identifiers-0-identifier": "4f2a",
            "observations-TOTAL_FORMS": "0",
            "observations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert not maison.source_identifiers.exists()


def make_stale(*initiatives, days=400):
    Initiative.objects.filter(pk__in=[i.pk for i in initiatives]).update(
        updated_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_stale_initiatives_are_counted_on_the_admin_index(curator_client, directory):
    index = reverse("admin:index")
    assert "à revoir" not in curator_client.get(index).content.decode().lower()
    make_stale(directory["maison"], directory["draft"])
    page = curator_client.get(index).content.decode()
    # Drafts are not the public's: only published initiatives need reviewing.
    assert "1 initiative publiée non mise à jour depuis longtemps" in page
    assert reverse("admin:initiatives_initiative_changelist") + "?stale=yes" in page


def test_the_stale_filter_lists_them_after_the_setting(curator_client, directory, settings):
    changelist = reverse("admin:initiatives_initiative_changelist")
    make_stale(directory["maison"], days=40)
    settings.STALE_AFTER_DAYS = 365
    assert list(curator_client.get(changelist, {"stale": "yes"}).context["cl"].result_list) == []
    settings.STALE_AFTER_DAYS = 30
    response = curator_client.get(changelist, {"stale": "yes"})
    assert list(response.context["cl"].result_list) == [directory["maison"]]
    assert "Non mises à jour depuis 30 jours" in response.content.decode()


def test_stale_initiatives_are_archived_in_bulk_with_history(curator_client, directory, commit):
    make_stale(directory["maison"], directory["fe2i"])
    version = current_version()
    changelist = reverse("admin:initiatives_initiative_changelist")
    stale = curator_client.get(changelist, {"stale": "yes"}).context["cl"].result_list
    with commit():
        curator_client.post(
            changelist + "?stale=yes",
            {"action": "archive", "_selected_action": [i.pk for i in stale]},
        )
    assert set(Initiative.objects.filter(status="archived").values_list("slug", flat=True)) == {
        "fe2i",
        "maison-des-echanges",
        "projet-archive",
    }
    assert current_version() == version + 1
    assert Revision.objects.latest("pk").version_set.count() > 2
    assert not Initiative.objects.stale().exists()


def test_adding_an_actor_that_exists_offers_the_existing_one(curator_client, directory):
    macif = directory["macif"]
    response = curator_client.post(
        reverse("admin:actors_actor_add"),
        {
            "name": "Fondation MACIF",
            "slug": macif.slug,
            "kind": "foundation",
            "sector": "ess",
            "contact-TOTAL_FORMS": "0",
            "contact-INITIAL_FORMS": "0",
            "involvements-TOTAL_FORMS": "0",
            "involvements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["slug"]
    change_url = reverse("admin:actors_actor_change", args=[macif.pk])
    assert error == (
        f'« Fondation Macif » existe déjà avec ce slug : <a href="{change_url}">l’utiliser</a>, '
        "ou changez le slug s’il s’agit d’un autre acteur."
    )
    assert f'<a href="{change_url}">l’utiliser</a>' in response.content.decode()
    assert Actor.objects.filter(slug=macif.slug).count() == 1


def test_amounts_are_written_the_french_way_with_their_currency(
    curator_client, client, directory, commit
):
    with commit():
        Involvement.objects.create(
            initiative=directory["fe2i"],
            actor=directory["godin"],
            role=Involvement.Role.FUNDER,
            amount=Decimal("15000"),
            currency=Involvement.Currency.CAD,
        )
    url = reverse("admin:initiatives_initiative_change", args=[directory["fe2i"].pk])
    form = curator_client.get(url).content.decode()
    assert re.search(r'name="involvements-\d-amount" value="15000,00"', form)
    assert '<option value="CAD" selected>$ CA</option>' in form
    page = client.get(directory["fe2i"].get_absolute_url()).content.decode()
    assert '<span class="amount">15\u00a0000 $ CA</span>' in page


def test_a_new_funding_row_starts_in_dollars_for_an_initiative_in_quebec(
    curator_client, directory, make_initiative
):
    from tests.conftest import make_territory

    canada = make_territory("canada", "Canada", "country", code="CA", country="CA")
    quebec = make_territory("quebec", "Québec", "province", canada, "QC", "CA")
    montreal = make_territory("montreal", "Montréal", "municipality", quebec, "66023", "CA")
    cuisine = make_initiative("Cuisine collective", commune=montreal)

    def new_row_currency(initiative):
        url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
        form = curator_client.get(url).content.decode()
        row = re.search(r'<select name="involvements-0-currency".*?</select>', form, re.S)
        return re.search(r'<option value="(\w+)" selected>', row.group(0)).group(1)

    assert new_row_currency(cuisine) == "CAD"
    assert new_row_currency(directory["fe2i"]) == "EUR"


def test_saving_a_point_outside_the_communes_departement_warns_and_keeps_it(
    curator_client, directory, territories
):
    from tests.conftest import square_outline
    from tests.forms import form_data

    square_outline(territories["pas-de-calais"], 1.6, 50.2, 3.2, 50.8)
    maison = directory["maison"]  # in Bruay-la-Buissière
    url = reverse("admin:initiatives_initiative_change", args=[maison.pk])
    data = form_data(curator_client.get(url), "initiative_form")
    data.update(latitude="50.1", longitude="2.55")  # 43 km south, in the Somme
    response = curator_client.post(url, data, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert (
        "Le point est hors du département Pas-de-Calais, où se trouve Bruay-la-Buissière "
        "(à 43 km de son centre) : vérifiez-le." in messages
    )
    maison.refresh_from_db()
    assert maison.latitude == 50.1
