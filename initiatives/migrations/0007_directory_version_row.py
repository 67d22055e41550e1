import time

from django.db import migrations


def create_version_row(apps, schema_editor):
    # The first number is the time in microseconds: no ETag a client holds from another
    # database (or from before a `flush`) can match it.
    DirectoryVersion = apps.get_model("initiatives", "DirectoryVersion")
    DirectoryVersion.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"number": time.time_ns() // 1000}
    )


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0006_directory_version_edit_count")]

    operations = [migrations.RunPython(create_version_row, migrations.RunPython.noop)]
