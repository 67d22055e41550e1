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

import reversion
from django.apps import apps
from django.db import transaction

from initiatives import freshness
from initiatives.bulk import sync_rows
from initiatives.models import Initiative, Territory, Theme

from .models import Assessment, CriterionScore, Framework, Indicator, Observation

GRIDS_FILE = Path(__file__).resolve().parent / "data" / "grids.json"


@transaction.atomic
def load_demo_evaluations():
    """Load the demo assessments and observations; returns (assessments, observations).

    In bulk, writing only what differs (initiatives/bulk.py); what changed goes into the
    revision being recorded, if any, and bumps the directory version.
    """
    data = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))
    # The grids come with the migrations; after a `flush` they are gone: ship them again
    # (only what is missing) with the migration's own function.
    import_module("evaluation.migrations.0002_shipped_grids").ship_grids(apps, None)
    import_module("evaluation.migrations.0004_indicator_scale").set_shipped_scales(apps, None)
    link_indicator_themes(data["indicators"])
    changed = load_assessments(data["demo_assessments"]) + load_observations(
        data["demo_observations"]
    )
    if changed:
        if reversion.is_active():
            # An assessment's version follows its scores, each labelled with its criterion
            # and level: read them with the assessments, not one query per score.
            assessments = {obj.pk for obj in changed if isinstance(obj, Assessment)}
            assessments |= {obj.assessment_id for obj in changed if isinstance(obj, CriterionScore)}
            for obj in [
                *Assessment.objects.filter(pk__in=assessments).prefetch_related(
                    "scores__criterion", "scores__level"
                ),
                *(obj for obj in changed if not isinstance(obj, (Assessment, CriterionScore))),
            ]:
                reversion.add_to_revision(obj)
        freshness.directory_changed()
    return len(data["demo_assessments"]), len(data["demo_observations"])


def link_indicator_themes(rows):
    """The grids migration runs before the demo themes exist: link them now."""
    themes = Theme.objects.in_bulk(
        [row["theme"] for row in rows if row["theme"]], field_name="slug"
    )
    unlinked = Indicator.objects.filter(
        slug__in=[row["slug"] for row in rows if row["theme"] in themes], theme__isnull=True
    )
    for indicator in unlinked:
        indicator.theme = themes[next(r["theme"] for r in rows if r["slug"] == indicator.slug)]
        indicator.save(update_fields=["theme"])


def load_assessments(rows):
    """The demo assessments and their scores; returns the assessments and scores written."""
    frameworks = {
        framework.slug: framework
        for framework in Framework.objects.current()
        .filter(slug__in={row["framework"] for row in rows})
        .prefetch_related("scale__levels", "dimensions__criteria")
    }
    initiatives = Initiative.objects.in_bulk({row["initiative"] for row in rows}, field_name="slug")
    wanted = {
        (initiatives[row["initiative"]].pk, row["framework"], row["date"]): {
            "initiative": initiatives[row["initiative"]],
            "framework": frameworks[row["framework"]],
            "date": datetime.date.fromisoformat(row["date"]),
            "method": row["method"],
            "participants": row["participants"],
            "summary": row["summary"],
            "status": Assessment.Status.PUBLISHED,
        }
        for row in rows
    }
    existing = Assessment.objects.filter(initiative__in=initiatives.values()).select_related(
        "framework"
    )
    assessments = sync_rows(
        Assessment,
        wanted,
        existing,
        lambda a: (a.initiative_id, a.framework.slug, a.date.isoformat()),
    )
    wanted_scores = {}
    for row in rows:
        assessment = assessments.rows[
            (initiatives[row["initiative"]].pk, row["framework"], row["date"])
        ]
        framework = frameworks[row["framework"]]
        criteria = {
            criterion.code: criterion
            for dimension in framework.dimensions.all()
            for criterion in dimension.criteria.all()
        }
        levels = {level.value: level for level in framework.scale.levels.all()}
        for score in row["scores"]:
            criterion = criteria[score["criterion"]]
            wanted_scores[(assessment.pk, criterion.pk)] = {
                "assessment": assessment,
                "criterion": criterion,
                "level": None if score["level"] is None else levels[score["level"]],
                "evidence": score["evidence"],
                "link": score["link"],
            }
    scores = sync_rows(
        CriterionScore,
        wanted_scores,
        CriterionScore.objects.filter(assessment__in=assessments.rows.values()),
        lambda s: (s.assessment_id, s.criterion_id),
    )
    return assessments.changed + scores.changed


def load_observations(rows):
    """The demo indicator series; returns the observations written."""
    indicators = Indicator.objects.in_bulk({row["indicator"] for row in rows}, field_name="slug")
    initiatives = Initiative.objects.in_bulk({r["initiative"] for r in rows}, field_name="slug")
    territories = Territory.objects.in_bulk({r["territory"] for r in rows}, field_name="slug")
    wanted = {}
    for row in rows:
        if row["year"]:
            start, end = Observation.year_period(row["year"])
        else:
            start = datetime.date.fromisoformat(row["period_start"])
            end = datetime.date.fromisoformat(row["period_end"])
        initiative = initiatives.get(row["initiative"])
        territory = territories.get(row["territory"])
        wanted[(indicators[row["indicator"]].pk, initiative, territory, start, end)] = {
            "indicator": indicators[row["indicator"]],
            "initiative": initiative,
            "territory": territory,
            "period_start": start,
            "period_end": end,
            "value": Decimal(str(row["value"])),
            "source": row["source"],
            "note": row["note"],
        }
    existing = Observation.objects.filter(indicator__in=indicators.values()).select_related(
        "initiative", "territory"
    )
    observations = sync_rows(
        Observation,
        wanted,
        existing,
        lambda o: (o.indicator_id, o.initiative, o.territory, o.period_start, o.period_end),
    )
    return observations.changed
