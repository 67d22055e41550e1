"""Full-text search over initiatives.

Every initiative stores a search document (`Initiative.search_document`): its own texts, the
names of its places (commune and the territories above it, territories of action) and the
names of its actors, lower-cased and without accents. initiatives/freshness.py rebuilds it
when a transaction that changed any of these commits; bulk writes call
`freshness.directory_changed(initiative_ids)`.

- On PostgreSQL, a stored generated column `search_vector` weighs the name (A), the summary (B)
  and the document (C) with the `french_unaccent` configuration (French stemming after
  unaccent), behind a GIN index; words are read as a web search (`"quoted phrase"`, `-not`,
  `or`) and ranked; a trigram word similarity on the document catches typos.
- On SQLite, every word of the query must appear in the document: accent- and
  case-insensitive, without stemming.
"""

import re
import unicodedata

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
)

SEARCH_CONFIG = "french_unaccent"
# Documents rebuilt per batch: an import of a few thousand rows is one batch.
BATCH_SIZE = 5000
# Shorter queries ("le", "de") would find similar words in every document.
MIN_TYPO_LENGTH = 4
# A quoted phrase or an excluded word ("-paris") asks for exactly that: no typo fallback.
WEB_SEARCH_OPERATORS = re.compile(r'"|(^|\s)-\w')
# Letters that Unicode does not decompose but that PostgreSQL's unaccent spells out.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def normalise(text):
    """Lower case, no accents, single spaces: "L'Écologie  verte" -> "l'ecologie verte".

    Punctuation stays, so that PostgreSQL's parser still sees "pas-de-calais" as one word.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(LIGATURES))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.split())


def words_of(text):
    """The words of a query, normalised: "Pas-de-Calais, Écologie" -> "pas de calais ecologie"."""
    return " ".join(re.findall(r"\w+", normalise(text)))


def place_key(name):
    """A place's name as people type it, for matching and prefix search: the words of
    words_of(), "St"/"Ste" spelt out.

    "Saint-Étienne-du-Rouvray" and "ST ETIENNE DU ROUVRAY" -> "saint etienne du rouvray".
    """
    return " ".join(ABBREVIATIONS.get(word, word) for word in words_of(name).split())


ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


class PostgreSQLOnly(Func):
    """The wrapped expression on PostgreSQL, NULL on other databases.

    Lets one GeneratedField hold a tsvector on PostgreSQL while SQLite stores nothing.
    """

    template = "%(expressions)s"

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            return "NULL", []
        return super().as_sql(compiler, connection, **extra_context)


def search_vector_expression():
    """What the generated column `search_vector` holds on PostgreSQL."""
    from django.contrib.postgres.search import SearchVectorField

    return PostgreSQLOnly(
        SearchVector("name", config=SEARCH_CONFIG, weight="A")
        + SearchVector("summary", config=SEARCH_CONFIG, weight="B")
        + SearchVector("search_document", config=SEARCH_CONFIG, weight="C"),
        output_field=SearchVectorField(),
    )


def search(initiatives, text):
    """These initiatives matching a visitor's words, best first, annotated with `search_rank`."""
    words = words_of(text)
    if not words:
        return initiatives
    if connections[initiatives.db].vendor == "postgresql":
        return _postgresql_search(initiatives, text, words)
    return _plain_search(initiatives, words)


def _postgresql_search(initiatives, text, words):
    from django.contrib.postgres.search import TrigramWordSimilarity

    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    matches = Q(search_vector=query)
    if len(words) >= MIN_TYPO_LENGTH and not WEB_SEARCH_OPERATORS.search(text):
        # The typo fallback: similar words, only when no initiative matches the text query
        # (one query all the same: PostgreSQL evaluates the uncorrelated EXISTS once).
        matches |= ~Exists(initiatives.filter(search_vector=query)) & Q(
            search_document__trigram_word_similar=words
        )
    return (
        initiatives.filter(matches)
        .annotate(
            search_rank=SearchRank(F("search_vector"), query),
            # Only computed for the typos' results: word_similarity over long documents is slow.
            search_similarity=Case(
                When(search_vector=query, then=Value(1.0)),
                default=TrigramWordSimilarity(words, "search_document"),
                output_field=FloatField(),
            ),
        )
        .order_by("-search_rank", "-search_similarity", "name", "pk")
    )


def _plain_search(initiatives, words):
    matches = Q()
    for word in words.split():
        matches &= Q(search_document__contains=word)
    return (
        initiatives.filter(matches)
        .annotate(
            search_rank=Case(
                When(name__icontains=words, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-search_rank", "name", "pk")
    )


def build_search_documents(initiatives):
    """{pk: search document} for these initiatives, in five queries however many there are.

    Uses only fields and relations, so that a data migration can call it with historical models.
    """
    initiative_model = initiatives.model
    territory_model = initiative_model._meta.get_field("commune").related_model
    involvement_model = initiative_model._meta.get_field("involvements").related_model
    rows = list(
        initiatives.select_related("commune").prefetch_related(
            Prefetch("action_territories", queryset=territory_model.objects.only("name")),
            Prefetch("involvements", queryset=involvement_model.objects.select_related("actor")),
        )
    )
    ancestor_paths = {
        path for row in rows if row.commune_id for path in _ancestor_paths(row.commune.path)
    }
    place_names = dict(
        territory_model.objects.filter(path__in=ancestor_paths).values_list("path", "name")
    )
    documents = {}
    for row in rows:
        pieces = [
            row.name,
            row.summary,
            row.description,
            row.how_it_works,
            row.obstacles,
            row.enablers,
            row.lessons,
            row.address,
        ]
        if row.commune_id:
            pieces += [place_names.get(path, "") for path in _ancestor_paths(row.commune.path)]
        pieces += [territory.name for territory in row.action_territories.all()]
        pieces += [involvement.actor.name for involvement in row.involvements.all()]
        documents[row.pk] = normalise(" ".join(pieces))
    return documents


def refresh_search_documents(initiatives, pks):
    """Rebuild and store the search documents of the initiatives with these pks, by batches
    of BATCH_SIZE: six queries a batch. `initiatives` is the model's manager."""
    pks = list(pks)
    for start in range(0, len(pks), BATCH_SIZE):
        documents = build_search_documents(initiatives.filter(pk__in=pks[start:][:BATCH_SIZE]))
        initiatives.bulk_update(
            [
                initiatives.model(pk=pk, search_document=document)
                for pk, document in documents.items()
            ],
            ["search_document"],
        )


def _ancestor_paths(path):
    segments = path.rstrip("/").split("/")
    return ["/".join(segments[: depth + 1]) + "/" for depth in range(len(segments))]
