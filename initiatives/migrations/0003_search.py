"""Full-text search: a stored search document, and on PostgreSQL a weighted tsvector.

On PostgreSQL only: the unaccent and pg_trgm extensions, the `french_unaccent` text search
configuration (unaccent, then French stemming: an immutable to_tsvector, so it can feed a
stored generated column), a GIN index on the tsvector and a trigram GIN index on the document
for typos. SQLite gets the two columns (the tsvector one always NULL) and no index.
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

import initiatives.search
from initiatives import search

CREATE_CONFIGURATION = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END $$;
"""
DROP_CONFIGURATION = "DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent"
CREATE_INDEXES = [
    # The full-text match: search_vector @@ query.
    "CREATE INDEX initiative_search_vector ON initiatives_initiative USING gin (search_vector)",
    # The typo fallback: search_document %> words.
    "CREATE INDEX initiative_search_trigram ON initiatives_initiative "
    "USING gin (search_document gin_trgm_ops)",
]
DROP_INDEXES = [
    "DROP INDEX IF EXISTS initiative_search_vector",
    "DROP INDEX IF EXISTS initiative_search_trigram",
]


def on_postgresql(*statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def fill_search_documents(apps, schema_editor):
    model = apps.get_model("initiatives", "Initiative")
    initiatives = model._base_manager.using(schema_editor.connection.alias)
    search.refresh_search_documents(initiatives, initiatives.values_list("pk", flat=True))


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0002_curators_group"),
        ("actors", "0001_initial"),
    ]

    operations = [
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(
            on_postgresql(CREATE_CONFIGURATION), on_postgresql(DROP_CONFIGURATION)
        ),
        migrations.AddField(
            model_name="initiative",
            name="search_document",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="initiative",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=initiatives.search.PostgreSQLOnly(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.SearchVector(
                                "name", config="french_unaccent", weight="A"
                            ),
                            "||",
                            django.contrib.postgres.search.SearchVector(
                                "summary", config="french_unaccent", weight="B"
                            ),
                            django.contrib.postgres.search.SearchConfig("french_unaccent"),
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector(
                            "search_document", config="french_unaccent", weight="C"
                        ),
                        django.contrib.postgres.search.SearchConfig("french_unaccent"),
                    ),
                    output_field=django.contrib.postgres.search.SearchVectorField(),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.RunPython(on_postgresql(*CREATE_INDEXES), on_postgresql(*DROP_INDEXES)),
        migrations.RunPython(fill_search_documents, migrations.RunPython.noop),
    ]
