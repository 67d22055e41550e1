"""On PostgreSQL, finer statistics of the territories' paths: with the default 100 buckets
for 35,000 paths, PostgreSQL takes a département for 4 communes instead of 195, so for a few
initiatives, and sorts all of them (19,000 at 1,000,000) to show a page of its initiatives
instead of walking the index by name.
"""

from django.db import migrations


def on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


STATEMENT = "ALTER TABLE initiatives_territory ALTER COLUMN path SET STATISTICS {}"


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0024_search_indexes_of_published")]

    operations = [
        migrations.RunPython(
            on_postgresql(STATEMENT.format(1000)), on_postgresql(STATEMENT.format(-1))
        )
    ]
