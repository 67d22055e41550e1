"""The map's ETag follows every change a visitor could see, not only edits of initiatives."""

import pytest
from django.urls import reverse

from actors.models import Involvement
from evaluation.models import Assessment, Criterion, CriterionScore, Framework

WORLD = "-180,-90,180,90"


def etag(client, **params):
    response = client.get(reverse("map_features"), {"bbox": WORLD, "zoom": 5, **params})
    assert response.status_code == 200
    return response["ETag"]


def revalidate(client, tag, **params):
    return client.get(
        reverse("map_features"), {"bbox": WORLD, "zoom": 5, **params}, HTTP_IF_NONE_MATCH=tag
    )


def add_a_funder(directory, themes, territories):
    Involvement.objects.create(
        initiative=directory["maison"], actor=directory["macif"], role=Involvement.Role.FUNDER
    )


def recolour_a_theme(directory, themes, territories):
    themes["circular"].color = "#000000"
    themes["circular"].save()


def move_a_departement(directory, themes, territories):
    territories["pas-de-calais"].parent = territories["grand-est"]
    territories["pas-de-calais"].save()


def rename_an_actor(directory, themes, territories):
    directory["macif"].name = "Fondation d'entreprise Macif"
    directory["macif"].save()


@pytest.mark.parametrize(
    "change", [add_a_funder, recolour_a_theme, move_a_departement, rename_an_actor]
)
def test_a_change_outside_the_initiatives_table_changes_the_etag(
    client, directory, themes, territories, change
):
    filters = {"role": "funder", "actor": "fondation-macif"}
    before = etag(client, **filters)
    assert revalidate(client, before, **filters).status_code == 304

    change(directory, themes, territories)

    response = revalidate(client, before, **filters)
    assert response.status_code == 200
    assert response["ETag"] != before


def test_a_new_funder_shows_up_on_a_revalidated_map(client, directory, themes, territories):
    filters = {"role": "funder", "actor": "fondation-macif", "zoom": 20}
    before = client.get(reverse("map_features"), {"bbox": WORLD, **filters})
    assert before.json()["total"] == 1
    add_a_funder(directory, themes, territories)
    after = revalidate(client, before["ETag"], **filters)
    assert after.status_code == 200
    assert after.json()["total"] == 2


def test_publishing_or_scoring_an_assessment_changes_the_etag(client, directory):
    """The framework and dimension filters read the published assessments."""
    godin = Framework.objects.get(slug="marqueurs-godin", is_current=True)
    assessment = Assessment.objects.create(
        initiative=directory["maison"], framework=godin, method=Assessment.Method.CURATOR
    )
    before = etag(client, framework=godin.slug)

    assessment.status = Assessment.Status.PUBLISHED
    assessment.save()

    response = revalidate(client, before, framework=godin.slug)
    assert response.status_code == 200
    assert response.json()["total"] == 1

    scored = response["ETag"]
    criterion = Criterion.objects.filter(dimension__framework=godin).first()
    CriterionScore.objects.create(assessment=assessment, criterion=criterion, evidence="Vu.")
    assert revalidate(client, scored, framework=godin.slug).status_code == 200
