"""The curators' side of evaluation: the assessment form, grid versions, observations, CSV."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluation.forms import criterion_fields
from evaluation.importers import import_observations
from evaluation.models import (
    Assessment,
    Criterion,
    CriterionScore,
    Framework,
    Indicator,
    Observation,
)


@pytest.fixture
def godin(db):
    return Framework.objects.get(slug="marqueurs-godin", is_current=True)


def add_url(framework=None, initiative=None):
    url = reverse("admin:evaluation_assessment_add")
    params = []
    if framework:
        params.append(f"framework={framework.pk}")
    if initiative:
        params.append(f"initiative={initiative.pk}")
    return url + ("?" + "&".join(params) if params else "")


def options(page, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def assessment_data(initiative, framework, levels, status="draft", **fields):
    """POST data for the admin form: levels by criterion code ('na', a value, or '')."""
    data = {
        "initiative": initiative.pk,
        "status": status,
        "date": "2024-05-01",
        "method": "curator",
        "participants": "",
        "summary": "",
        "assessor": "",
        **fields,
    }
    for criterion in Criterion.objects.filter(dimension__framework=framework):
        names = criterion_fields(criterion.pk)
        level = levels.get(criterion.code, "")
        data[names["level"]] = level
        data[names["evidence"]] = f"Preuve {criterion.code}" if level else ""
        data[names["link"]] = ""
    return data


def test_a_new_assessment_starts_by_choosing_the_initiative_and_the_grid(curator_client, godin):
    page = curator_client.get(add_url()).content.decode()
    assert 'name="initiative"' in page
    assert set(options(page, "framework")) == {
        str(pk) for pk in Framework.objects.current().values_list("pk", flat=True)
    }
    assert "criterion_" not in page


def test_an_unknown_grid_is_explained_on_the_first_step(curator_client, db):
    response = curator_client.get(reverse("admin:evaluation_assessment_add") + "?framework=999999")
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_assessment_form_lists_every_criterion_with_its_guidance(
    curator_client, directory, godin
):
    page = curator_client.get(add_url(godin, directory["maison"])).content.decode()
    criteria = Criterion.objects.filter(dimension__framework=godin)
    assert criteria.count() >= 11
    for criterion in criteria:
        assert f"{criterion.code} {criterion.label}".replace("'", "&#x27;") in page
        assert criterion.guidance.replace("'", "&#x27;") in page
        assert f'name="{criterion_fields(criterion.pk)["evidence"]}"' in page
    for dimension in godin.dimensions.all():
        assert f"{dimension.code} — {dimension.name}" in page
    # The initiative chosen on the first step is preselected.
    assert f'<option value="{directory["maison"].pk}" selected>' in page


def test_the_level_picker_offers_only_the_grids_scale(curator_client, directory, godin):
    page = curator_client.get(add_url(godin, directory["maison"])).content.decode()
    criterion = Criterion.objects.filter(dimension__framework=godin).first()
    assert options(page, criterion_fields(criterion.pk)["level"]) == ["", "na", "0", "1", "2", "3"]


def test_a_level_outside_the_scale_is_refused_by_the_form(curator_client, directory, godin):
    first = Criterion.objects.filter(dimension__framework=godin).first()
    data = assessment_data(directory["maison"], godin, {first.code: "5"})
    response = curator_client.post(add_url(godin), data)
    assert response.status_code == 200
    assert not Assessment.objects.exists()
    assert "Select a valid choice" in response.content.decode() or "Sélectionnez" in (
        response.content.decode()
    )


def test_the_assessor_is_chosen_among_the_curators(curator_client, curator, directory, godin):
    User.objects.create_user("stagiaire", is_staff=True)
    response = curator_client.get(add_url(godin, directory["maison"]))
    assessors = response.context["adminform"].form.fields["assessor"].queryset
    assert list(assessors) == [curator]


def test_a_curator_saves_a_draft_then_publishes_it(curator_client, curator, directory, godin):
    criteria = list(Criterion.objects.filter(dimension__framework=godin))
    partial = {criteria[0].code: "3", criteria[1].code: "na"}
    response = curator_client.post(
        add_url(godin), assessment_data(directory["maison"], godin, partial)
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.framework, assessment.status, assessment.assessor) == (
        godin,
        "draft",
        curator,
    )
    scores = {s.criterion.code: s for s in assessment.scores.select_related("criterion", "level")}
    assert scores.keys() == partial.keys()
    assert scores[criteria[0].code].level.value == 3
    assert scores[criteria[0].code].evidence == f"Preuve {criteria[0].code}"
    assert scores[criteria[1].code].level is None

    change_url = reverse("admin:evaluation_assessment_change", args=[assessment.pk])
    # The change form shows what was saved.
    page = curator_client.get(change_url).content.decode()
    level_field = criterion_fields(criteria[0].pk)["level"]
    assert re.search(rf'name="{level_field}".*?<option value="3" selected>', page, re.S)

    # Publishing with unscored criteria is refused, criterion by criterion.
    data = assessment_data(
        directory["maison"], godin, partial, status="published", loaded_edit_count=1
    )
    response = curator_client.post(change_url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "avant de publier" in page
    # The top of the form names the first of these errors and links to its field, which the
    # page focuses (static/js/admin_first_error.js).
    first_error = re.search(
        r'<p class="errornote first-error" data-first-error="([^"]+)">(.*?)</p>', page, re.S
    )
    unscored = next(c for c in criteria if c.code not in partial)
    assert first_error.group(1) == "id_" + criterion_fields(unscored.pk)["level"]
    assert f'<a href="#{first_error.group(1)}">' in first_error.group(2)
    assert "avant de publier" in first_error.group(2)
    assessment.refresh_from_db()
    assert assessment.status == "draft"

    complete = {criterion.code: "2" for criterion in criteria}
    data = assessment_data(
        directory["maison"], godin, complete, status="published", loaded_edit_count=1
    )
    assert curator_client.post(change_url, data).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "published"
    assert assessment.scores.count() == len(criteria)
    assert assessment in Assessment.objects.published()


def test_evidence_without_a_level_is_refused(curator_client, directory, godin):
    first = Criterion.objects.filter(dimension__framework=godin).first()
    data = assessment_data(directory["maison"], godin, {})
    data[criterion_fields(first.pk)["evidence"]] = "Une preuve sans niveau"
    response = curator_client.post(add_url(godin), data)
    assert response.status_code == 200
    assert not Assessment.objects.exists()


def test_clearing_a_level_removes_that_score(curator_client, directory, godin):
    criteria = list(Criterion.objects.filter(dimension__framework=godin)[:2])
    curator_client.post(
        add_url(godin),
        assessment_data(directory["maison"], godin, {c.code: "1" for c in criteria}),
    )
    assessment = Assessment.objects.get()
    curator_client.post(
        reverse("admin:evaluation_assessment_change", args=[assessment.pk]),
        assessment_data(directory["maison"], godin, {criteria[0].code: "1"}, loaded_edit_count=1),
    )
    assert [s.criterion_id for s in assessment.scores.all()] == [criteria[0].pk]


def test_the_publish_action_skips_incomplete_assessments(curator_client, directory, godin):
    incomplete = Assessment.objects.create(
        initiative=directory["maison"], framework=godin, method="curator"
    )
    csess = Framework.objects.get(slug="csess-2017")
    complete = Assessment.objects.create(
        initiative=directory["fe2i"], framework=csess, method="peer"
    )
    for criterion in Criterion.objects.filter(dimension__framework=csess):
        CriterionScore.objects.create(assessment=complete, criterion=criterion)
    curator_client.post(
        reverse("admin:evaluation_assessment_changelist"),
        {"action": "publish", "_selected_action": [incomplete.pk, complete.pk]},
    )
    assert list(Assessment.objects.filter(status="published")) == [complete]


def test_the_revise_action_creates_a_new_version(curator_client, directory, godin):
    Assessment.objects.create(initiative=directory["maison"], framework=godin, method="curator")
    curator_client.post(
        reverse("admin:evaluation_framework_changelist"),
        {"action": "revise", "_selected_action": [godin.pk]},
    )
    new = Framework.objects.current().get(slug="marqueurs-godin")
    assert new.version == "1.1" and new.pk != godin.pk
    # The new version is editable: its criteria appear as form fields.
    dimension = new.dimensions.first()
    page = curator_client.get(
        reverse("admin:evaluation_dimension_change", args=[dimension.pk])
    ).content.decode()
    assert 'name="criteria-0-label"' in page
    # The used version is not.
    page = curator_client.get(
        reverse("admin:evaluation_framework_change", args=[godin.pk])
    ).content.decode()
    assert 'name="dimensions-0-name"' not in page and 'name="name"' not in page


def test_observations_are_entered_on_the_initiative_page(curator_client, directory):
    fe2i = directory["fe2i"]
    change_url = reverse("admin:initiatives_initiative_change", args=[fe2i.pk])
    page = curator_client.get(change_url).content.decode()
    assert 'name="observations-TOTAL_FORMS"' in page
    indicator_options = options(page, "observations-0-indicator")
    territory_indicator = Indicator.objects.get(slug="spiral-acces-aux-services")
    assert str(territory_indicator.pk) not in indicator_options

    jobs = Indicator.objects.get(slug="emplois-crees-etp")
    response = curator_client.post(
        change_url,
        {
            "name": fe2i.name,
            "slug": fe2i.slug,
            "status": fe2i.status,
            "summary": fe2i.summary,
            "loaded_edit_count": fe2i.edit_count,
            "involvements-TOTAL_FORMS": "0",
            "involvements-INITIAL_FORMS": "0",
            "contact-TOTAL_FORMS": "0",
            "contact-INITIAL_FORMS": "0",
            "source_identifiers-TOTAL_FORMS": "0",
            "source_identifiers-INITIAL_FORMS": "0",
            "observations-TOTAL_FORMS": "2",
            "observations-INITIAL_FORMS": "0",
            "observations-0-indicator": jobs.pk,
            "observations-0-year": "2022",
            "observations-0-value": "21",
            "observations-0-source": "Rapport d'activité 2022",
            "observations-1-indicator": jobs.pk,
            "observations-1-period_start": "2023-01-01",
            "observations-1-period_end": "2023-06-30",
            "observations-1-value": "22,5",
            "observations-1-source": "Bilan semestriel",
        },
    )

    assert response.status_code == 302
    assert list(
        fe2i.observations.order_by("period_start").values_list(
            "period_start", "period_end", "value"
        )
    ) == [
        (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31), Decimal("21")),
        (datetime.date(2023, 1, 1), datetime.date(2023, 6, 30), Decimal("22.5")),
    ]


def test_the_initiative_page_renders_its_observation_rows_without_a_query_each(
    curator_client, directory, django_assert_max_num_queries
):
    jobs = Indicator.objects.get(slug="emplois-crees-etp")
    change_url = reverse("admin:initiatives_initiative_change", args=[directory["fe2i"].pk])
    with django_assert_max_num_queries(100) as few:
        curator_client.get(change_url)
    for year in range(2000, 2020):
        start, end = Observation.year_period(year)
        Observation.objects.create(
            indicator=jobs,
            initiative=directory["fe2i"],
            period_start=start,
            period_end=end,
            value=year,
            source="x",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        curator_client.get(change_url)


# CSV import

GOOD_CSV = (
    "initiative,territory,indicator,period,value,source,note\n"
    "fe2i,,emplois-crees-etp,2022,21,Rapport d'activité,\n"
    'fe2i,,emplois-crees-etp,2023,"23,5",Rapport d\'activité,au 31 décembre\n'
    ",bruay-la-buissiere-62178,spiral-acces-aux-services,2020-01-01/2020-06-30,2.8,Ateliers,\n"
)

BAD_CSV = (
    "initiative;indicator;period;value;source\n"
    "fe2i;emplois-crees-etp;2022;21;Rapport\n"
    "inconnue;emplois-crees-etp;2022;21;Rapport\n"
    "fe2i;emplois-crees-etp;l'an dernier;vingt;\n"
    "fe2i;spiral-acces-aux-services;2022;3;Ateliers\n"
    "fe2i;emplois-crees-etp;2022;22;Rapport\n"
)


def test_a_csv_of_observations_is_imported(directory, territories):
    result = import_observations(GOOD_CSV.encode())
    assert (result.ok, result.created, result.updated) == (True, 3, 0)
    fe2i = directory["fe2i"].observations.order_by("period_start")
    assert [(o.year, o.value, o.note) for o in fe2i] == [
        (2022, Decimal("21"), ""),
        (2023, Decimal("23.5"), "au 31 décembre"),
    ]
    bruay = territories["bruay"].observations.get()
    assert (bruay.period_end, bruay.value) == (datetime.date(2020, 6, 30), Decimal("2.8"))
    # A second import of the same periods updates them.
    result = import_observations(GOOD_CSV.replace("2.8", "2.9").encode())
    assert (result.created, result.updated) == (0, 3)
    assert territories["bruay"].observations.get().value == Decimal("2.9")


def test_a_csv_value_off_its_indicators_scale_is_a_row_error(territories):
    csv = (
        "territory,indicator,period,value,source\n"
        "bruay-la-buissiere-62178,spiral-acces-aux-services,2020,3.4,Ateliers\n"
        "bruay-la-buissiere-62178,spiral-acces-aux-services,2021,7,Ateliers\n"
    )
    result = import_observations(csv.encode())
    assert [line for line, _message in result.errors] == [3]
    assert "entre 1 et 5" in result.errors[0][1]
    assert not Observation.objects.exists()


def test_a_csv_names_initiatives_by_their_identifier_in_a_source(directory):
    directory["fe2i"].source_identifiers.create(source="transiscope", identifier="4f2a")
    csv = (
        "initiative;indicator;period;value;source\n"
        "transiscope:4f2a;emplois-crees-etp;2022;21;Rapport\n"
        "cress-hdf:4f2a;emplois-crees-etp;2022;21;Rapport\n"
    )

    result = import_observations(csv.encode())

    assert result.errors == [(3, "Initiative « cress-hdf:4f2a » inconnue.")]
    result = import_observations(csv.rsplit("cress-hdf", 1)[0].encode())
    assert (result.ok, result.created) == (True, 1)
    assert directory["fe2i"].observations.get().value == 21


def test_a_csv_with_bad_rows_imports_nothing_and_names_each_line(directory):
    result = import_observations(BAD_CSV.encode())
    assert not result.ok
    assert not Observation.objects.exists()
    messages = {line: [] for line, _message in result.errors}
    for line, message in result.errors:
        messages[line].append(message)
    assert sorted(messages) == [3, 4, 5, 6]
    assert messages[3] == ["Initiative « inconnue » inconnue."]
    assert any("Période illisible" in m for m in messages[4])
    assert any(m.startswith("Valeur") and "illisible" in m for m in messages[4])
    assert any("source" in m for m in messages[4])
    assert any("porte sur" in m for m in messages[5])
    assert messages[6] == ["Même indicateur, même sujet et même période qu'à la ligne 2."]


def test_a_csv_without_the_needed_columns_is_refused(db):
    result = import_observations(b"slug,valeur\nfe2i,3\n")
    assert result.errors == [
        (1, "Colonne(s) manquante(s) : indicator, period, value, source, initiative.")
    ]


def test_a_dry_run_checks_everything_and_saves_nothing(directory, territories):
    result = import_observations(GOOD_CSV.encode(), dry_run=True)
    assert (result.ok, result.created) == (True, 3)
    assert not Observation.objects.exists()


def test_the_import_command_reports_row_errors(directory, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="erreurs : rien n'a été importé"):
        call_command("import_observations", str(bad))
    assert "Ligne 3 : Initiative « inconnue » inconnue." in capsys.readouterr().err
    assert not Observation.objects.exists()


def test_the_import_command_has_a_dry_run(directory, territories, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    call_command("import_observations", str(good), "--dry-run")
    assert "l'importer créerait 3 observation(s)" in capsys.readouterr().out
    assert not Observation.objects.exists()
    call_command("import_observations", str(good))
    assert Observation.objects.count() == 3


def test_the_admin_imports_a_csv_after_a_dry_run(curator_client, directory, territories):
    url = reverse("admin:evaluation_observation_import")
    assert curator_client.get(url).status_code == 200
    assert (
        url
        in curator_client.get(reverse("admin:evaluation_observation_changelist")).content.decode()
    )

    response = curator_client.post(
        url, {"file": SimpleUploadedFile("bad.csv", BAD_CSV.encode()), "dry_run": "on"}
    )
    page = response.content.decode()
    assert "rien n'a été importé" in page and "Initiative « inconnue » inconnue." in page

    response = curator_client.post(
        url, {"file": SimpleUploadedFile("good.csv", GOOD_CSV.encode()), "dry_run": "on"}
    )
    assert "l'importer créerait 3" in response.content.decode()
    assert not Observation.objects.exists()

    response = curator_client.post(url, {"file": SimpleUploadedFile("good.csv", GOOD_CSV.encode())})
    assert response.status_code == 302
    assert Observation.objects.count() == 3


def test_staff_outside_the_curators_group_cannot_import(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("stagiaire", is_staff=True))
    assert client.get(reverse("admin:evaluation_observation_import")).status_code == 403
