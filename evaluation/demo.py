"""Demo assessments and indicator series, from evaluation/data/grids.json.

Called at the end of the directory's demo loader (initiatives' load_demo), once the demo
initiatives, territories and themes exist. Idempotent: assessments are matched by initiative,
grid and date, scores by criterion, observations by indicator, subject and period, so a
second run changes nothing.
"""

import datetime
import json
from decimal import Decimal
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.db import transaction

from initiatives.models import Initiative, Territory, Theme

from .models import Assessment, Criterion, CriterionScore, Framework, Indicator, Observation

GRIDS_FILE = Path(__file__).resolve().parent / "data" / "grids.json"


@transaction.atomic
def load_demo_evaluations():
    """Load the demo assessments and observations; returns (assessments, observations)."""
    data = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))
    # The grids come with the migrations; after a `flush` they are gone: ship them again
    # (only what is missing) with the migration's own function.
    import_module("evaluation.migrations.0002_shipped_grids").ship_grids(apps, None)
    import_module("evaluation.migrations.0004_indicator_scale").set_shipped_scales(apps, None)
    link_indicator_themes(data["indicators"])
    for row in data["demo_assessments"]:
        load_assessment(row)
    for row in data["demo_observations"]:
        load_observation(row)
    return len(data["demo_assessments"]), len(data["demo_observations"])


def link_indicator_themes(rows):
    """The grids migration runs before the demo themes exist: link them now."""
    themes = Theme.objects.in_bulk(
        [row["theme"] for row in rows if row["theme"]], field_name="slug"
    )
    for row in rows:
        if row["theme"] in themes:
            Indicator.objects.filter(slug=row["slug"], theme__isnull=True).update(
                theme=themes[row["theme"]]
            )


def load_assessment(row):
    framework = Framework.objects.select_related("scale").get(
        slug=row["framework"], is_current=True
    )
    assessment, _ = Assessment.objects.update_or_create(
        initiative=Initiative.objects.get(slug=row["initiative"]),
        framework__slug=framework.slug,
        date=datetime.date.fromisoformat(row["date"]),
        defaults={
            "framework": framework,
            "method": row["method"],
            "participants": row["participants"],
            "summary": row["summary"],
            "status": Assessment.Status.PUBLISHED,
        },
    )
    criteria = {
        criterion.code: criterion
        for criterion in Criterion.objects.filter(dimension__framework=assessment.framework)
    }
    levels = {level.value: level for level in assessment.framework.scale.levels.all()}
    for score in row["scores"]:
        CriterionScore.objects.update_or_create(
            assessment=assessment,
            criterion=criteria[score["criterion"]],
            defaults={
                "level": None if score["level"] is None else levels[score["level"]],
                "evidence": score["evidence"],
                "link": score["link"],
            },
        )


def load_observation(row):
    if row["year"]:
        start, end = Observation.year_period(row["year"])
    else:
        start = datetime.date.fromisoformat(row["period_start"])
        end = datetime.date.fromisoformat(row["period_end"])
    subject = (
        {"initiative": Initiative.objects.get(slug=row["initiative"]), "territory": None}
        if row["initiative"]
        else {"initiative": None, "territory": Territory.objects.get(slug=row["territory"])}
    )
    Observation.objects.update_or_create(
        indicator=Indicator.objects.get(slug=row["indicator"]),
        period_start=start,
        period_end=end,
        **subject,
        defaults={
            "value": Decimal(str(row["value"])),
            "source": row["source"],
            "note": row["note"],
        },
    )
