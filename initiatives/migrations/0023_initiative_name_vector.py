"""On PostgreSQL, a GIN index on the words of the initiatives' names: a search with more
results than are ranked lists those whose name holds the words first (search.NameFirst), and
counts them through this index when a page starts past them. The expression is the one
Django writes for SearchVector("name", config="french_unaccent"), so that the query uses it.
"""

from django.db import migrations


def on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


# Of every initiative, not only the published ones: ANALYZE gathers the statistics of an
# expression index's words only when the index is not partial, and without them PostgreSQL
# guesses a name holds a word 1 time in 1,000 (then walks a million rows for a word no name
# holds).
CREATE_INDEX = (
    "CREATE INDEX initiative_name_vector ON initiatives_initiative USING gin "
    "(to_tsvector('french_unaccent'::regconfig, COALESCE(name, '')))"
)
DROP_INDEX = "DROP INDEX IF EXISTS initiative_name_vector"


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0022_initiative_sample")]

    operations = [migrations.RunPython(on_postgresql(CREATE_INDEX), on_postgresql(DROP_INDEX))]
