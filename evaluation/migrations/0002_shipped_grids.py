"""Ship the evaluation grids, their scales and the common social-utility indicators.

Reads evaluation/data/grids.json, the one place where the grids' texts are written (the demo
loader reads the demo assessments from the same file). The migration runs once per database
and only creates what is missing (scales and indicators by slug, grids by slug and version),
so it never touches a grid a curator has since edited. Later changes to a shipped grid are
new versions: add them to the file with a new version number and a new migration.
"""

import json
from pathlib import Path

from django.db import migrations

GRIDS_FILE = Path(__file__).resolve().parent.parent / "data" / "grids.json"


def ship_grids(apps, schema_editor):
    Scale = apps.get_model("evaluation", "Scale")
    ScaleLevel = apps.get_model("evaluation", "ScaleLevel")
    Framework = apps.get_model("evaluation", "Framework")
    Dimension = apps.get_model("evaluation", "Dimension")
    Criterion = apps.get_model("evaluation", "Criterion")
    Indicator = apps.get_model("evaluation", "Indicator")
    Theme = apps.get_model("initiatives", "Theme")
    data = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))

    scales = {}
    for row in data["scales"]:
        scale, created = Scale.objects.get_or_create(
            slug=row["slug"], defaults={"name": row["name"], "description": row["description"]}
        )
        if created:
            ScaleLevel.objects.bulk_create(
                ScaleLevel(scale=scale, value=level["value"], label=level["label"])
                for level in row["levels"]
            )
        scales[scale.slug] = scale

    for row in data["frameworks"]:
        if Framework.objects.filter(slug=row["slug"], version=row["version"]).exists():
            continue
        is_current = not Framework.objects.filter(slug=row["slug"], is_current=True).exists()
        framework = Framework.objects.create(
            slug=row["slug"],
            version=row["version"],
            is_current=is_current,
            name=row["name"],
            kind=row["kind"],
            source=row["source"],
            licence_note=row["licence_note"],
            description=row["description"],
            scale=scales[row["scale"]],
        )
        for position, dimension_row in enumerate(row["dimensions"]):
            dimension = Dimension.objects.create(
                framework=framework,
                code=dimension_row["code"],
                name=dimension_row["name"],
                description=dimension_row["description"],
                position=position,
            )
            Criterion.objects.bulk_create(
                Criterion(
                    dimension=dimension,
                    code=criterion["code"],
                    label=criterion["label"],
                    guidance=criterion["guidance"],
                    core=criterion["core"],
                    position=position,
                )
                for position, criterion in enumerate(dimension_row["criteria"])
            )

    # Themes usually arrive later (the demo loader links them); link those already there.
    themes = Theme.objects.in_bulk([row["theme"] for row in data["indicators"] if row["theme"]], field_name="slug")
    for row in data["indicators"]:
        Indicator.objects.get_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "unit": row["unit"],
                "description": row["description"],
                "higher_is_better": row["higher_is_better"],
                "subject": row["subject"],
                "theme": themes.get(row["theme"]),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(ship_grids, migrations.RunPython.noop)]
