"""Indicators measured on a scale (the SPIRAL well-being levels) say which one, so that their
observations stay within it. Sets the scale of the shipped indicators that grids.json gives
one, unless a curator already chose it."""

import json
from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

GRIDS_FILE = Path(__file__).resolve().parent.parent / "data" / "grids.json"


def set_shipped_scales(apps, schema_editor):
    Indicator = apps.get_model("evaluation", "Indicator")
    Scale = apps.get_model("evaluation", "Scale")
    data = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))
    for row in data["indicators"]:
        if row.get("scale"):
            scale = Scale.objects.filter(slug=row["scale"]).first()
            Indicator.objects.filter(slug=row["slug"], scale__isnull=True).update(scale=scale)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_curators_group")]

    operations = [
        migrations.AddField(
            model_name="indicator",
            name="scale",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "For a level on a scale (e.g. SPIRAL 1–5): values must lie between its "
                    "lowest and highest levels; averages in between are allowed."
                ),
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="indicators",
                to="evaluation.scale",
                verbose_name="scale",
            ),
        ),
        migrations.RunPython(set_shipped_scales, migrations.RunPython.noop),
    ]
