"""Full-text search over initiatives.

Every initiative stores a search document (`Initiative.search_document`): its own texts, the
names of its themes and of their parents, of its places (commune and the territories above
it, territories of action) and of its actors, lower-cased and without accents.
initiatives/freshness.py rebuilds it when a transaction that changed any of these commits;
bulk writes call `freshness.directory_changed(initiative_ids)`.

- On PostgreSQL, a stored generated column `search_vector` weighs the name (A), the summary (B)
  and the document (C) with the `french_unaccent` configuration (French stemming after
  unaccent), behind a GIN index; words are read as a web search (`"quoted phrase"`, `-not`,
  `or`) and ranked; a trigram word similarity on the document catches typos.
- On SQLite, every word of the query must appear in the document: accent- and
  case-insensitive, without stemming. When nothing matches, suggested_search() offers the
  closest words of the directory's vocabulary ("Vouliez-vous dire …").
"""

import difflib
import re
import unicodedata

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)

SEARCH_CONFIG = "french_unaccent"
# Documents rebuilt per batch: an import of a few thousand rows is one batch.
BATCH_SIZE = 5000
# Shorter queries ("le", "de") would find similar words in every document.
MIN_TYPO_LENGTH = 4
# A search ranks at most this many results (about 15 ms at 100,000 initiatives); beyond, its
# results are listed those with the words in their names first (NameFirst).
RANKED_AT_MOST = 10_000
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


def search(initiatives, text, typos=None):
    """These initiatives matching a visitor's words, best first, annotated with `search_rank`.

    `typos`: whether to look for similar words instead, on PostgreSQL; by default, when the
    words match none of these initiatives (`typos_wanted()`, one more query).
    """
    words = words_of(text)
    if not words:
        return initiatives
    if connections[initiatives.db].vendor != "postgresql":
        return _plain_search(initiatives, words)
    if typos is None:
        typos = typos_wanted(initiatives, text)
    if typos:
        return (
            initiatives.filter(search_document__trigram_word_similar=words)
            .annotate(search_rank=TrigramWordSimilarity(words, "search_document"))
            .order_by("-search_rank", "name", "pk")
        )
    query = text_query(text)
    return (
        initiatives.filter(search_vector=query)
        .annotate(search_rank=SearchRank(F("search_vector"), query))
        .order_by("-search_rank", "name", "pk")
    )


class NameFirst:
    """A search's results in two tiers, each newest first: those whose name holds the words,
    then the others; for a search with more than RANKED_AT_MOST results (PostgreSQL).

    Ranking reads the search vector of every match: 90 ms for a common word at 100,000
    initiatives, ten times that at 1,000,000. A tier newest first walks the index of the
    initiatives by publication date until the page is full: a few hundred rows for a page
    near the start, as matches are spread over time, whatever the directory's size. (By name,
    the walk would cross every name before "Chantier d'insertion" for "insertion".) The
    `initiative_name_vector` index counts the first tier when a page starts past it. A
    sequence for the Paginator: `total` results (counts.tally() estimates them), each page read
    in two to four queries.
    """

    def __init__(self, matches, text, total):
        self.matches, self.total = matches, total
        newest_first = matches.order_by("-published_at", "-pk").annotate(
            name_vector=SearchVector("name", config=SEARCH_CONFIG)
        )
        in_name = Q(name_vector=text_query(text))
        self.first, self.rest = newest_first.filter(in_name), newest_first.exclude(in_name)

    def count(self):
        return self.total

    def __getitem__(self, page):
        start, stop = page.start, page.stop
        pks = list(self.first.values_list("pk", flat=True)[start:stop])
        if len(pks) < stop - start:
            # The first tier ends before this page does: the rest follows it.
            in_first = start + len(pks) if pks or not start else self.first.count()
            rest = self.rest.values_list("pk", flat=True)
            pks += rest[max(start - in_first, 0) : stop - in_first]
        rows = self.matches.in_bulk(pks)
        return [rows[pk] for pk in pks]


def typos_wanted(initiatives, text):
    """Whether a search of these initiatives should look for words similar to the text's:
    on PostgreSQL, when the text may hold a typo and matches none of them.

    The typo search is a query of its own: OR-ed into the indexed one, it makes PostgreSQL
    read every row's search vector instead of using the index (seconds at 100,000).
    """
    words = words_of(text)
    return (
        connections[initiatives.db].vendor == "postgresql"
        and len(words) >= MIN_TYPO_LENGTH
        and not WEB_SEARCH_OPERATORS.search(text)
        and not initiatives.filter(search_vector=text_query(text)).exists()
    )


def vocabulary(initiatives):
    """The words of these initiatives' search documents that a typo could be taken for."""
    words = set()
    for document in initiatives.values_list("search_document", flat=True).iterator():
        words.update(word for word in re.findall(r"\w+", document) if len(word) >= MIN_TYPO_LENGTH)
    return words


def suggested_search(text, words):
    """The text with each word unknown to `words` (a vocabulary) replaced by the closest
    known one, e.g. "ressourcrie" -> "ressourcerie"; None when no word could be replaced."""
    suggestion, replaced = [], False
    for word in words_of(text).split():
        close = () if word in words else difflib.get_close_matches(word, words, n=1, cutoff=0.8)
        if close:
            suggestion.append(close[0])
            replaced = True
        else:
            suggestion.append(word)
    return " ".join(suggestion) if replaced else None


def text_query(text):
    return SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")


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


# An initiative's own texts in its search document, in this order.
DOCUMENT_FIELDS = (
    "name",
    "summary",
    "description",
    "how_it_works",
    "obstacles",
    "enablers",
    "lessons",
    "address",
)


def search_document(texts, themes, places, action_territories, actors):
    """An initiative's search document: its DOCUMENT_FIELDS' texts, then the names of its
    themes and their parents (each once), of its places (its commune and the territories
    above it), of its territories of action and of its actors. All but the places are sorted:
    the same initiative always gets the same document, however its rows were read."""
    return normalise(
        " ".join(
            [*texts, *sorted(set(themes)), *places, *sorted(action_territories), *sorted(actors)]
        )
    )


def new_search_document(initiative, themes, places, actors):
    """The search document of an initiative about to be inserted in bulk, without territories
    of action yet (imports, generate_directory): the refresh at commit then finds it up to date
    instead of writing the row again. `themes`: the names of its themes and their parents;
    `actors`: one name per involvement."""
    texts = [getattr(initiative, name) for name in DOCUMENT_FIELDS]
    return search_document(texts, themes, places, [], actors)


def theme_names(themes, key="pk"):
    """{theme's `key` field: [its name, and its parent's name]} of these themes (the Theme
    model's manager or a queryset of it). One query."""
    return {
        value: [name, parent_name] if parent_name else [name]
        for value, name, parent_name in themes.values_list(key, "name", "parent__name")
    }


def place_names(territories, commune_paths):
    """{path: [names of the commune and of the territories above it]} for these paths;
    `territories` is the Territory model's manager. One query."""
    ancestors = {path: _ancestor_paths(path) for path in commune_paths}
    names = dict(
        territories.filter(
            path__in={path for paths in ancestors.values() for path in paths}
        ).values_list("path", "name")
    )
    return {path: [names.get(p, "") for p in paths] for path, paths in ancestors.items()}


def outdated_search_documents(initiatives):
    """{pk: search document} of these initiatives whose stored document is not what it
    should be, in five queries however many there are.

    Uses only fields and relations, so that a data migration can call it with historical models.
    """
    initiative_model = initiatives.model
    territory_model = initiative_model._meta.get_field("commune").related_model
    involvement_model = initiative_model._meta.get_field("involvements").related_model
    action_territories = initiative_model._meta.get_field("action_territories").remote_field
    themes = initiative_model._meta.get_field("themes").remote_field
    rows = list(initiatives.values_list("pk", "search_document", "commune__path", *DOCUMENT_FIELDS))
    pks = [row[0] for row in rows]
    themed = {pk: [] for pk in pks}
    for pk, name, parent_name in themes.through.objects.filter(initiative__in=pks).values_list(
        "initiative", "theme__name", "theme__parent__name"
    ):
        themed[pk] += [name, parent_name] if parent_name else [name]
    acting_in = {pk: [] for pk in pks}
    for pk, name in action_territories.through.objects.filter(initiative__in=pks).values_list(
        "initiative", "territory__name"
    ):
        acting_in[pk].append(name)
    acting = {pk: [] for pk in pks}
    for pk, name in involvement_model.objects.filter(initiative__in=pks).values_list(
        "initiative", "actor__name"
    ):
        acting[pk].append(name)
    places = place_names(territory_model.objects, {row[2] for row in rows if row[2]})
    documents = {}
    for pk, stored, path, *texts in rows:
        document = search_document(
            texts, themed[pk], places.get(path, []), acting_in[pk], acting[pk]
        )
        if document != stored:
            documents[pk] = document
    return documents


def refresh_search_documents(initiatives, pks):
    """Rebuild the search documents of the initiatives with these pks and store those that
    changed, by batches of BATCH_SIZE: five queries to read a batch, then one UPDATE when one
    document changed, bulk_update's three (in a transaction) when several did. `initiatives`
    is the model's manager. An unchanged document is not written: a rewritten row costs its
    indexes (the search vector's and the trigram one) as much as a new one."""
    pks = list(pks)
    for start in range(0, len(pks), BATCH_SIZE):
        documents = outdated_search_documents(initiatives.filter(pk__in=pks[start:][:BATCH_SIZE]))
        if len(documents) == 1:
            # One row, as after most edits: a plain UPDATE, without bulk_update's transaction.
            [(pk, document)] = documents.items()
            initiatives.filter(pk=pk).update(search_document=document)
            continue
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
