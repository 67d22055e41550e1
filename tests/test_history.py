"""The version history: who changed what and when, comparison, restore, recovery, and no
save ever silently lost."""

import threading

import pytest
import reversion
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from reversion.models import Revision, Version

from actors.models import Actor, Involvement
from evaluation.models import Assessment, Criterion, Framework
from initiatives import history
from initiatives.freshness import current_version
from initiatives.models import (
    Initiative,
    InitiativeContact,
    SourceIdentifier,
    Territory,
    Theme,
)
from tests.conftest import create_curator
from tests.forms import form_data


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def history_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def edit(client, obj, commit, **changes):
    """Open the object's admin form, change some fields, save it; returns the response."""
    form_id = f"{obj._meta.model_name}_form"
    data = form_data(client.get(change_url(obj)), form_id)
    data.update(
        {name: [value] if isinstance(value, str) else value for name, value in changes.items()}
    )
    with commit():
        return client.post(change_url(obj), data)


def versions_of(obj):
    return list(Version.objects.get_for_object(obj).select_related("revision__user"))


@pytest.fixture
def recorded(directory):
    """The directory with a first version of everything, as if it had been entered through
    the admin or an import (the fixtures write through the ORM)."""
    call_command("createinitialrevisions", verbosity=0)
    return directory


@pytest.fixture
def second_curator(db):
    return create_curator("curateur2")


@pytest.fixture
def second_client(second_curator):
    other = Client()
    other.force_login(second_curator)
    return other


def test_an_edit_is_recorded_with_who_when_and_a_comment(
    curator_client, curator, directory, commit
):
    maison = directory["maison"]
    response = edit(curator_client, maison, commit, summary="Un lieu de troc et de don.")
    assert response.status_code == 302
    [version] = versions_of(maison)
    assert version.revision.user == curator
    assert "Résumé" in version.revision.get_comment()
    assert version.field_dict["summary"] == "Un lieu de troc et de don."
    # The involvements are in the same revision.
    rows = version.revision.version_set.filter(content_type__model="involvement")
    assert rows.count() == maison.involvements.count()


def test_actors_territories_themes_and_assessments_are_recorded(
    curator_client, directory, territories, themes, commit
):
    edit(curator_client, directory["macif"], commit, description="Fondation d'entreprise.")
    edit(curator_client, territories["moselle"], commit, name="Moselle (57)")
    edit(curator_client, themes["employment"], commit, color="#000000")
    godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    add = reverse("admin:evaluation_assessment_add") + f"?framework={godin.pk}"
    data = form_data(curator_client.get(add), "assessment_form")
    data.update(initiative=[str(directory["maison"].pk)], method=["curator"])
    with commit():
        assert curator_client.post(add, data).status_code == 302
    assessment = Assessment.objects.get()
    edit(curator_client, assessment, commit, summary="Entretien avec l'équipe.")
    for obj in (directory["macif"], territories["moselle"], themes["employment"], assessment):
        assert versions_of(obj), obj


def test_the_history_page_lists_the_versions(curator_client, curator, directory, commit):
    maison = directory["maison"]
    edit(curator_client, maison, commit, summary="Première retouche.")
    edit(curator_client, maison, commit, summary="Deuxième retouche.")
    page = curator_client.get(history_url(maison)).content.decode()
    assert page.count('name="older"') == 2
    assert "curatrice" in page
    assert "Restaurer cette version" in page


def test_two_versions_compare_field_by_field_with_involvements_and_themes(
    curator_client, directory, themes, commit
):
    maison = directory["maison"]
    edit(curator_client, maison, commit, name="Maison des échanges")
    data = form_data(curator_client.get(change_url(maison)), "initiative_form")
    data["name"] = ["Maison des échanges de Bruay"]
    data["themes"] = [str(themes["employment"].pk)]
    total = int(data["involvements-TOTAL_FORMS"][0])
    data["involvements-TOTAL_FORMS"] = [str(total + 1)]
    data[f"involvements-{total}-actor"] = [str(directory["macif"].pk)]
    data[f"involvements-{total}-role"] = ["funder"]
    data[f"involvements-{total}-amount"] = ["5000"]
    data[f"involvements-{total}-currency"] = ["EUR"]
    with commit():
        assert curator_client.post(change_url(maison), data).status_code == 302
    newer, older = versions_of(maison)
    compare = reverse("admin:initiatives_initiative_compare", args=[maison.pk])
    response = curator_client.get(compare, {"older": older.pk, "newer": newer.pk})
    assert response.status_code == 200
    changes = {change.label: change for change in response.context["changes"]}
    assert (changes["nom"].before, changes["nom"].after) == (
        "Maison des échanges",
        "Maison des échanges de Bruay",
    )
    assert changes["thèmes"].before == "Économie circulaire & réemploi › Ressourceries"
    assert changes["thèmes"].after == "Emploi, insertion & formation"
    assert changes["implication"].before == "—"
    assert "Fondation Macif" in changes["implication"].after
    page = response.content.decode()
    assert "Maison des échanges de Bruay" in page


def test_comparing_without_two_versions_is_a_clear_400(curator_client, directory):
    compare = reverse("admin:initiatives_initiative_compare", args=[directory["maison"].pk])
    response = curator_client.get(compare, {"older": "x"})
    assert response.status_code == 400
    assert "Choisissez deux versions" in response.content.decode()


def test_restoring_a_version_is_a_new_version_and_refreshes_the_directory(
    curator_client, client, directory, commit
):
    maison = directory["maison"]
    edit(curator_client, maison, commit, name="Maison des échanges")
    edit(curator_client, maison, commit, name="Bourse aux objets")
    newest, oldest = versions_of(maison)
    url = reverse("admin:initiatives_initiative_revision", args=[maison.pk, oldest.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    # Opening the version restores nothing yet.
    assert Initiative.objects.get(pk=maison.pk).name == "Bourse aux objets"
    version = current_version()
    with commit():
        response = curator_client.post(url, form_data(page, "initiative_form"))
    assert response.status_code == 302
    maison.refresh_from_db()
    assert maison.name == "Maison des échanges"
    assert len(versions_of(maison)) == 3, "the restore is a version of its own"
    assert current_version() > version
    listed = client.get(reverse("initiative_list"), {"q": "maison"}).context["page_obj"]
    assert [i.slug for i in listed] == ["maison-des-echanges"]


def test_a_deleted_initiative_is_recovered_with_its_involvements(
    curator_client, client, directory, commit
):
    maison = directory["maison"]
    edit(curator_client, maison, commit, summary="Avant la suppression.")
    involvements = set(maison.involvements.values_list("actor__slug", "role"))
    delete = reverse("admin:initiatives_initiative_delete", args=[maison.pk])
    with commit():
        assert curator_client.post(delete, {"post": "yes"}).status_code == 302
    assert not Initiative.objects.filter(pk=maison.pk).exists()

    recover_list = curator_client.get(reverse("admin:initiatives_initiative_recoverlist"))
    assert "Maison des échanges" in recover_list.content.decode()
    [deleted] = Version.objects.get_deleted(Initiative)
    url = reverse("admin:initiatives_initiative_recover", args=[deleted.pk])
    page = curator_client.get(url)
    with commit():
        assert curator_client.post(url, form_data(page, "initiative_form")).status_code == 302
    recovered = Initiative.objects.get(pk=maison.pk)
    assert set(recovered.involvements.values_list("actor__slug", "role")) == involvements
    listed = client.get(reverse("initiative_list"), {"q": "godin"}).context["page_obj"]
    assert "maison-des-echanges" in [i.slug for i in listed]


def test_a_bulk_action_is_one_revision(curator_client, directory, commit):
    before = Revision.objects.count()
    with commit():
        curator_client.post(
            reverse("admin:initiatives_initiative_changelist"),
            {
                "action": "archive",
                "_selected_action": [directory["maison"].pk, directory["fe2i"].pk],
            },
        )
    assert Revision.objects.count() == before + 1
    revision = Revision.objects.latest("pk")
    assert revision.user.username == "curatrice"
    assert revision.get_comment() == "Archivées par une action groupée."
    archived = revision.version_set.filter(content_type__model="initiative")
    assert {v.field_dict["status"] for v in archived} == {"archived"}
    assert archived.count() == 2


def test_the_demo_load_is_one_revision(db):
    call_command("load_demo", only_demo_places=True, verbosity=0)
    assert Revision.objects.count() == 1
    assert "demo.json" in Revision.objects.get().comment
    call_command("load_demo", only_demo_places=True, verbosity=0)
    assert Revision.objects.count() == 1, "an unchanged load records nothing"


def test_a_revision_saved_in_bulk_holds_what_reversion_records(directory, territories):
    # history.save_revision, for imports: the same versions as reversion.add_to_revision,
    # the followed rows included, so that comparing and restoring work on them alike.
    maison = directory["maison"]
    maison.action_territories.add(territories["hauts-de-france"])
    SourceIdentifier.objects.create(initiative=maison, source="transiscope", identifier="x1")
    InitiativeContact.objects.create(initiative=maison, email="prive@example.org")

    def recorded(revision):
        return {
            (version.content_type.model, version.object_id): (
                version.object_repr,
                {
                    name: sorted(v) if isinstance(v, list) else v
                    for name, v in version.field_dict.items()
                },
            )
            for version in revision.version_set.select_related("content_type")
        }

    with reversion.create_revision():
        reversion.add_to_revision(maison)
    by_reversion = Revision.objects.latest("pk")
    in_bulk = history.save_revision(Initiative, [maison.pk], comment="Importé")
    assert recorded(in_bulk) == recorded(by_reversion)
    assert {model for model, _pk in recorded(in_bulk)} == {
        "initiative",
        "involvement",
        "sourceidentifier",
        "initiativecontact",
    }
    assert history.save_revision(Initiative, []) is None


def test_the_public_never_reaches_the_history(client, directory, commit):
    maison = directory["maison"]
    for url in (
        history_url(maison),
        reverse("admin:initiatives_initiative_compare", args=[maison.pk]),
        reverse("admin:initiatives_initiative_recoverlist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert "historique" not in client.get(maison.get_absolute_url()).content.decode().lower()


# --- No edit silently lost ---------------------------------------------------------------


def test_a_save_over_someone_elses_is_refused_and_says_what_they_changed(
    curator_client, second_client, recorded, commit
):
    maison = recorded["maison"]
    url = change_url(maison)
    first = form_data(curator_client.get(url), "initiative_form")
    second = form_data(second_client.get(url), "initiative_form")

    first["name"] = ["Maison des échanges de Bruay"]
    with commit():
        assert curator_client.post(url, first).status_code == 302

    second["summary"] = ["Un lieu où l'on troque."]
    with commit():
        refused = second_client.post(url, second)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "curatrice a enregistré cette fiche pendant que vous la modifiiez" in page
    assert "Maison des échanges → Maison des échanges de Bruay" in page
    # Nothing of the second save is written, and what was typed is still in the form.
    maison.refresh_from_db()
    assert maison.summary != "Un lieu où l'on troque."
    kept = form_data(refused, "initiative_form")
    assert kept["summary"] == ["Un lieu où l'on troque."]

    # Merged (the other name taken in), the form saves: it now carries the latest count.
    kept["name"] = ["Maison des échanges de Bruay"]
    with commit():
        assert second_client.post(url, kept).status_code == 302
    maison.refresh_from_db()
    assert (maison.name, maison.summary) == (
        "Maison des échanges de Bruay",
        "Un lieu où l'on troque.",
    )


def test_a_bulk_action_in_between_is_noticed_too(curator_client, second_client, recorded, commit):
    fe2i = recorded["fe2i"]
    url = change_url(fe2i)
    opened = form_data(second_client.get(url), "initiative_form")
    with commit():
        curator_client.post(
            reverse("admin:initiatives_initiative_changelist"),
            {"action": "archive", "_selected_action": [fe2i.pk]},
        )
    opened["summary"] = ["Résumé retouché."]
    with commit():
        refused = second_client.post(url, opened)
    assert refused.status_code == 200
    assert "publiée → archivée" in refused.content.decode()
    assert Initiative.objects.get(pk=fe2i.pk).status == "archived"


@pytest.mark.parametrize("kind", ["actor", "assessment"])
def test_actors_and_assessments_are_guarded_too(
    curator_client, second_client, recorded, commit, kind
):
    directory = recorded
    if kind == "actor":
        obj = directory["macif"]
        field, first_value, second_value = "description", "Fondation.", "Autre texte."
    else:
        godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
        obj = Assessment.objects.create(
            initiative=directory["maison"], framework=godin, method="curator"
        )
        call_command("createinitialrevisions", "evaluation.Assessment", verbosity=0)
        assert Criterion.objects.filter(dimension__framework=godin).exists()
        field, first_value, second_value = "summary", "Entretien.", "Visite."
    url = change_url(obj)
    form_id = f"{kind}_form"
    first = form_data(curator_client.get(url), form_id)
    second = form_data(second_client.get(url), form_id)
    first[field] = [first_value]
    with commit():
        assert curator_client.post(url, first).status_code == 302
    second[field] = [second_value]
    with commit():
        refused = second_client.post(url, second)
    assert refused.status_code == 200
    assert f"→ {first_value}" in refused.content.decode()
    obj.refresh_from_db()
    assert getattr(obj, field) == first_value


def test_without_history_the_refusal_shows_where_the_saved_record_differs(
    curator_client, second_client, directory, commit
):
    # A row written outside the admin has no version to compare with.
    maison = directory["maison"]
    url = change_url(maison)
    second = form_data(second_client.get(url), "initiative_form")
    Initiative.objects.filter(pk=maison.pk).update(edit_count=5, name="Renommée en base")
    second["summary"] = ["Autre résumé."]
    with commit():
        refused = second_client.post(url, second)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "diffère de votre saisie" in page
    assert "Renommée en base → Maison des échanges" in page


def test_a_restored_version_does_not_bring_an_old_edit_count_back(
    curator_client, directory, commit
):
    maison = directory["maison"]
    edit(curator_client, maison, commit, name="Un")
    edit(curator_client, maison, commit, name="Deux")
    count = Initiative.objects.get(pk=maison.pk).edit_count
    oldest = versions_of(maison)[-1]
    url = reverse("admin:initiatives_initiative_revision", args=[maison.pk, oldest.pk])
    with commit():
        curator_client.post(url, form_data(curator_client.get(url), "initiative_form"))
    assert Initiative.objects.get(pk=maison.pk).edit_count > count


def test_other_models_are_registered_for_history():
    import reversion

    for model in (Initiative, Involvement, Actor, Territory, Theme, Assessment):
        assert reversion.is_registered(model)


def test_restoring_a_territory_from_before_a_move_moves_what_is_below_back(
    curator_client, client, directory, territories, commit
):
    departement = territories["pas-de-calais"]
    edit(curator_client, departement, commit, name="Pas-de-Calais")
    edit(curator_client, departement, commit, parent=str(territories["grand-est"].pk))
    bruay = Territory.objects.get(slug="bruay-la-buissiere-62178")
    assert bruay.path.startswith("france/grand-est/pas-de-calais/")
    before_the_move = versions_of(departement)[-1]
    url = reverse("admin:initiatives_territory_revision", args=[departement.pk, before_the_move.pk])
    with commit():
        response = curator_client.post(url, form_data(curator_client.get(url), "territory_form"))
    assert response.status_code == 302
    bruay.refresh_from_db()
    assert bruay.path == "france/hauts-de-france/pas-de-calais/bruay-la-buissiere-62178/"
    hdf = territories["hauts-de-france"]
    assert list(Initiative.objects.located_in(hdf)) == [directory["maison"]]
    listed = client.get(reverse("initiative_list"), {"q": "grand est"}).context["page_obj"]
    assert "maison-des-echanges" not in [i.slug for i in listed]


def test_restoring_an_actors_old_name_brings_it_back_into_the_search(
    curator_client, client, directory, commit
):
    # announce_restored: the form's save after the restore sees the old name as unchanged.
    godin = directory["godin"]
    edit(curator_client, godin, commit, name="Institut Godin")
    edit(curator_client, godin, commit, name="Institut Zorro")
    oldest = versions_of(godin)[-1]
    url = reverse("admin:actors_actor_revision", args=[godin.pk, oldest.pk])
    with commit():
        curator_client.post(url, form_data(curator_client.get(url), "actor_form"))
    listed = client.get(reverse("initiative_list"), {"q": "godin"}).context["page_obj"]
    assert [i.slug for i in listed] == ["maison-des-echanges"]


def involvement_rows(data):
    total = int(data["involvements-TOTAL_FORMS"][0])
    return range(total)


def test_an_involvement_changed_elsewhere_is_kept_by_a_form_that_did_not_touch_it(
    curator_client, second_client, recorded, commit
):
    maison = recorded["maison"]
    opened = form_data(curator_client.get(change_url(maison)), "initiative_form")
    # Meanwhile, on the involvement's own page.
    involvement = maison.involvements.get(actor=recorded["godin"])
    edit(second_client, involvement, commit, note="Regard d'expert, depuis 2015.")

    opened["summary"] = ["Un lieu de troc."]
    with commit():
        assert curator_client.post(change_url(maison), opened).status_code == 302
    involvement.refresh_from_db()
    assert involvement.note == "Regard d'expert, depuis 2015."


def test_an_involvement_changed_on_both_pages_is_refused_with_what_changed(
    curator_client, second_client, recorded, commit
):
    macif = recorded["macif"]
    opened = form_data(curator_client.get(change_url(macif)), "actor_form")
    involvement = macif.involvements.get()
    edit(second_client, involvement, commit, note="Dotation 2024.")

    [row] = [
        n
        for n in involvement_rows(opened)
        if opened[f"involvements-{n}-id"] == [str(involvement.pk)]
    ]
    opened[f"involvements-{row}-note"] = ["Dotation 2023."]
    with commit():
        refused = curator_client.post(change_url(macif), opened)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert (
        "Quelqu'un a modifié cette ligne" in page or "Quelqu&#x27;un a modifié cette ligne" in page
    )
    assert "Dotation 2024." in page
    involvement.refresh_from_db()
    assert involvement.note == "Dotation 2024."
    # The curator merges; the row is now checked against what is saved.
    kept = form_data(refused, "actor_form")
    assert kept[f"involvements-{row}-note"] == ["Dotation 2023."]
    kept[f"involvements-{row}-note"] = ["Dotation 2023, puis 2024."]
    with commit():
        assert curator_client.post(change_url(macif), kept).status_code == 302
    involvement.refresh_from_db()
    assert involvement.note == "Dotation 2023, puis 2024."


def test_an_observations_import_is_one_revision_named_after_its_file(curator_client, directory):
    csv = (
        b"initiative,indicator,period,value,source\n"
        b"fe2i,emplois-crees-etp,2022,21,Rapport\n"
        b"fe2i,emplois-crees-etp,2023,22,Rapport\n"
    )
    upload = SimpleUploadedFile("bilan-2023.csv", csv, content_type="text/csv")
    response = curator_client.post(reverse("admin:evaluation_observation_import"), {"file": upload})
    assert response.status_code == 302
    revision = Revision.objects.latest("pk")
    assert "bilan-2023.csv" in revision.comment
    assert revision.user.username == "curatrice"
    assert revision.version_set.count() == 2


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_at_the_same_instant_are_told_apart(curator_client, territories):
    # GuardedEditAdmin.get_object locks the row: without the lock, the save below would read
    # the count before the other save commits, then overwrite it.
    initiative = Initiative.objects.create(
        name="Épicerie", slug="epicerie", summary="Au début.", status="published"
    )
    url = change_url(initiative)
    opened = form_data(curator_client.get(url), "initiative_form")
    locked, release = threading.Event(), threading.Event()

    def the_other_save():
        try:
            with transaction.atomic():
                other = Initiative.objects.select_for_update().get(pk=initiative.pk)
                locked.set()
                release.wait(5)
                other.summary = "Par l'autre curatrice."
                other.save()
        finally:
            connection.close()

    thread = threading.Thread(target=the_other_save)
    thread.start()
    assert locked.wait(5)
    threading.Timer(1, release.set).start()
    opened["summary"] = ["Par moi."]
    response = curator_client.post(url, opened)
    thread.join(10)
    assert response.status_code == 200, "saved over the other save"
    assert Initiative.objects.get(pk=initiative.pk).summary == "Par l'autre curatrice."
