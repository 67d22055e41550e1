from django.db import migrations

from initiatives.curators import grant_content_permissions


def grant(apps, schema_editor):
    grant_content_permissions(apps, "initiatives")


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
