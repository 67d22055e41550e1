from django.db import migrations

from initiatives.curators import grant_content_permissions


def grant(apps, schema_editor):
    grant_content_permissions(apps, "actors")


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0001_initial"),
        ("initiatives", "0002_curators_group"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
