from django.db import migrations

from initiatives.curators import grant_content_permissions


def grant(apps, schema_editor):
    grant_content_permissions(apps, "evaluation")


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0002_shipped_grids"),
        ("initiatives", "0002_curators_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
