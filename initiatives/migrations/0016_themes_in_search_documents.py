"""The search documents now hold the names of the initiatives' themes and their parents."""

from django.db import migrations

from initiatives import search


def rebuild_search_documents(apps, schema_editor):
    model = apps.get_model("initiatives", "Initiative")
    initiatives = model._base_manager.using(schema_editor.connection.alias)
    search.refresh_search_documents(initiatives, initiatives.values_list("pk", flat=True))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0015_facet_counts"),
    ]

    operations = [
        migrations.RunPython(rebuild_search_documents, migrations.RunPython.noop),
    ]
