"""Facet counts of the published directory, kept up to date by the write path.

Counting every published initiative by stage, theme, territory or actor is a pass over the
whole directory: half a second a page at 100,000 initiatives. Yet the unfiltered list, the
map page, the home page and the territory and theme pages all count exactly that, the
published directory. So its counts are stored, one `FacetCount` row per facet value, and
those pages read a few rows.

Each published initiative is counted under a set of keys, "facet:value": `all:`, its stage,
its legal form, each of its themes (`theme:<id>`) and their families (`family:<id of the
top-level theme>`), its commune (`commune:<id>`) and every territory above it
(`territory:<path>`), each of its actors (`actor:<id>`), and for the actors' pages each actor's
role (`actor_role:<actor id>:<role>`) and région (`actor_region:<actor id>:<path>`), and
`located:` when it has a point. `CountedInitiative` keeps the keys it
was counted under. After every committed write, freshness.apply_changes() calls
count_changes() with the initiatives the write named: each is counted again, and only the
difference between the keys it had and the keys it now has goes into the counts. A rolled back
write changes nothing, a write counted twice changes nothing the second time, and a deleted or
unpublished initiative takes its counts back.

The map's squares (MapCell) are counted by the same call: an initiative is also counted under
its point (`point:<longitude>,<latitude>`), and the squares of the points that an initiative
left or reached are counted again from the published initiatives in them.

`manage.py refresh_directory` counts everything again (rebuild()).

A filtered list or map counts its facets from the same keys (tally()): those of its own
initiatives, at most SAMPLE_SIZE of them, so that the cost of its counts does not grow with the
directory. Up to SAMPLE_SIZE results, every one is counted; beyond, a sample of whole slots
(models.SAMPLE_SLOTS) is, and the counts are scaled up and marked as estimates (`Estimate`).
A value of a facet absent from the sample is not offered: it holds about one in SAMPLE_SIZE of
the results or fewer.
"""

import json
import math
from collections import Counter, defaultdict
from functools import reduce
from operator import or_

from django.db.models import (
    BigIntegerField,
    CharField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Floor,
    StrIndex,
    Substr,
)

from actors.models import Actor, Involvement

from . import freshness
from .models import (
    SAMPLE_SLOTS,
    CountedInitiative,
    FacetCount,
    Initiative,
    MapCell,
    Territory,
    cell_size,
    points_and_bounds,
)
from .queries import rows_of_slices

# Initiatives counted per round of queries, and facet values read per query.
BATCH = 2000
VALUES_PER_QUERY = 500
# The key of an initiative's point: not a facet, but where it is on the map.
POINT = "point:"
# Up to this many map squares are counted again each around its own points.
SQUARES_ONE_BY_ONE = 20
# A filtered list's or map's counts read the keys of at most this many of its initiatives,
# first looked for among about SAMPLE_FROM of the directory's (tally()).
SAMPLE_SIZE = 1000
SAMPLE_FROM = 20_000


def batched(items, size):
    """The items in lists of `size` (itertools.batched, from Python 3.12 on)."""
    items = list(items)
    return (items[start : start + size] for start in range(0, len(items), size))


def keys_of(initiative_ids, using="default", published_only=True):
    """{initiative id: the keys it is counted under}, for the published ones among these
    (for all of them with `published_only=False`: the counts of a curator's list of archived
    initiatives). Three queries."""
    keys = {}
    regions = {}  # the territory one level below the country, for the actors' pages
    initiatives = Initiative._base_manager.using(using).filter(pk__in=initiative_ids)
    if published_only:
        initiatives = initiatives.filter(status=Initiative.Status.PUBLISHED)
    for pk, stage, legal_form, commune_id, path, longitude, latitude in initiatives.values_list(
        "pk", "stage", "legal_form", "commune_id", "commune__path", "longitude", "latitude"
    ):
        keys[pk] = {"all:", f"stage:{stage}", f"legal_form:{legal_form}"}
        if latitude is not None:
            keys[pk].update(("located:", f"{POINT}{longitude!r},{latitude!r}"))
        if commune_id:
            keys[pk].add(f"commune:{commune_id}")
            segments = path.split("/")[:-1]  # a path ends with "/"
            keys[pk].update(
                "territory:" + "".join(f"{s}/" for s in segments[:depth])
                for depth in range(1, len(segments) + 1)
            )
            if len(segments) >= 2:
                regions[pk] = f"{segments[0]}/{segments[1]}/"
    links = Initiative.themes.through._base_manager.using(using).filter(initiative_id__in=keys)
    for pk, theme_id, parent_id in links.values_list("initiative_id", "theme_id", "theme__parent"):
        keys[pk].update((f"theme:{theme_id}", f"family:{parent_id or theme_id}"))
    involvements = Involvement._base_manager.using(using).filter(initiative_id__in=keys)
    for pk, actor_id, role in involvements.values_list(
        "initiative_id", "actor_id", "role"
    ).order_by():
        keys[pk].update((f"actor:{actor_id}", f"actor_role:{actor_id}:{role}"))
        if pk in regions:
            keys[pk].add(f"actor_region:{actor_id}:{regions[pk]}")
    return keys


def count_changes(initiative_ids, using="default"):
    """Count these initiatives again, as they are now, into FacetCount and MapCell.

    Call it inside a transaction that holds the directory version's row lock
    (freshness.apply_changes does), so that two writes are counted one after the other.
    """
    delta = Counter()
    moved = set()  # the points left or reached
    counted = CountedInitiative._base_manager.using(using)
    for batch in batched(sorted(set(initiative_ids)), BATCH):
        before = dict(counted.filter(initiative_id__in=batch).values_list("initiative_id", "keys"))
        now = keys_of(batch, using)
        changed = []
        for pk in batch:
            old, new = set(before.get(pk, ())), now.get(pk, set())
            moved.update(key for key in old ^ new if key.startswith(POINT))
            delta.update(key for key in new - old if not key.startswith(POINT))
            delta.subtract(key for key in old - new if not key.startswith(POINT))
            if new and new != old:
                changed.append(CountedInitiative(initiative_id=pk, keys=sorted(new)))
        counted.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["initiative_id"],
            update_fields=["keys"],
        )
        counted.filter(initiative_id__in=[pk for pk in before if pk not in now]).delete()
    add_to_counts(delta, using)
    count_map_squares({square_of(key) for key in moved}, using)


def square_of(point_key):
    """The (x, y) of the MapCell square holding the point of a `point:` key."""
    longitude, latitude = (float(part) for part in point_key.removeprefix(POINT).split(","))
    return MapCell.index_of(longitude), MapCell.index_of(latitude)


def count_map_squares(squares, using):
    """Count these MapCell squares again from the published initiatives in them. Two queries,
    three when some squares were emptied."""
    if not squares:
        return
    side = cell_size(MapCell.ZOOM)
    columns, rows = {x for x, _ in squares}, {y for _, y in squares}
    # The points around these squares, one square wider on each side so that no point on a
    # square's edge is left out by rounding, grouped by square; the squares that were not
    # asked for are left aside. Around each square when they are few (an edit), else in the
    # rectangle holding them all (an import, a rebuild).
    if len(squares) <= SQUARES_ONE_BY_ONE:
        around = [(x, y, x, y) for x, y in squares]
    else:
        around = [(min(columns), min(rows), max(columns), max(rows))]
    near = reduce(
        or_,
        (
            Q(
                longitude__gte=(west - 1) * side,
                longitude__lte=(east + 2) * side,
                latitude__gte=(south - 1) * side,
                latitude__lte=(north + 2) * side,
            )
            for west, south, east, north in around
        ),
    )
    grouped = (
        Initiative.objects.using(using)
        .published()
        .filter(near)
        .annotate(x=Floor(F("longitude") / side), y=Floor(F("latitude") / side))
        .order_by()
        .values("x", "y")
        .annotate(
            sum_longitude=Sum("longitude"), sum_latitude=Sum("latitude"), **points_and_bounds()
        )
    )
    counted = []
    for row in grouped:
        square = int(row.pop("x")), int(row.pop("y"))
        if square in squares:
            counted.append(MapCell(x=square[0], y=square[1], **row))
    cells = MapCell._base_manager.using(using)
    cells.bulk_create(
        counted,
        update_conflicts=True,
        unique_fields=["x", "y"],
        update_fields=["count", "sum_longitude", "sum_latitude", "west", "south", "east", "north"],
        batch_size=1000,
    )
    emptied = squares - {(cell.x, cell.y) for cell in counted}
    if emptied:
        stored = cells.filter(
            x__gte=min(columns), x__lte=max(columns), y__gte=min(rows), y__lte=max(rows)
        )
        emptied_pks = [pk for pk, x, y in stored.values_list("pk", "x", "y") if (x, y) in emptied]
        for batch in batched(emptied_pks, VALUES_PER_QUERY):
            cells.filter(pk__in=batch).delete()


def add_to_counts(delta, using):
    """Add {key: difference} to the FacetCount rows, creating and deleting rows as needed."""
    by_facet = {}
    for key, difference in delta.items():
        if difference:
            facet, value = key.split(":", 1)
            by_facet.setdefault(facet, {})[value] = difference
    rows = FacetCount._base_manager.using(using)
    pairs = [(facet, value) for facet, values in by_facet.items() for value in values]
    existing = {}
    for batch in batched(pairs, VALUES_PER_QUERY):
        wanted = {}
        for facet, value in batch:
            wanted.setdefault(facet, []).append(value)
        lookups = reduce(or_, (Q(facet=f, value__in=values) for f, values in wanted.items()))
        existing.update({(row.facet, row.value): row for row in rows.filter(lookups)})
    updated, created, emptied = [], [], []
    for facet, value in pairs:
        difference = by_facet[facet][value]
        row = existing.get((facet, value))
        if row is None:
            created.append(FacetCount(facet=facet, value=value, count=difference))
        else:
            row.count += difference
            (updated if row.count > 0 else emptied).append(row)
    rows.bulk_update(updated, ["count"], batch_size=1000)
    rows.bulk_create(created, batch_size=1000)
    for batch in batched([row.pk for row in emptied], VALUES_PER_QUERY):
        rows.filter(pk__in=batch).delete()


def rebuild(using="default"):
    """Count the whole directory again, from nothing (in the caller's transaction)."""
    FacetCount._base_manager.using(using).all().delete()
    CountedInitiative._base_manager.using(using).all().delete()
    MapCell._base_manager.using(using).all().delete()
    count_changes(Initiative.objects.using(using).published().values_list("pk", flat=True), using)


def stored(*facets):
    """{facet: {value: count}} of these facets of the published directory. One query."""
    by_facet = {facet: {} for facet in facets}
    for facet, value, count in FacetCount.objects.filter(facet__in=facets).values_list(
        "facet", "value", "count"
    ):
        by_facet[facet][value] = count
    return by_facet


def total():
    """How many initiatives are published. One query."""
    return stored("all")["all"].get("", 0)


def points_counted():
    """(how many published initiatives have a point, how many have none). One query."""
    by_facet = stored("all", "located")
    located = by_facet["located"].get("", 0)
    return located, by_facet["all"].get("", 0) - located


def count_of(facet, value):
    """How many published initiatives have this facet value. One query."""
    return (
        FacetCount.objects.filter(facet=facet, value=value).values_list("count", flat=True).first()
        or 0
    )


def actor_counts(actor):
    """(how many published initiatives the actor is involved in, {role: how many}). One
    query."""
    roles = [f"{actor.pk}:{role}" for role in Involvement.Role.values]
    rows = FacetCount.objects.filter(
        Q(facet="actor", value=str(actor.pk)) | Q(facet="actor_role", value__in=roles)
    )
    total, by_role = 0, {}
    for facet, value, count in rows.values_list("facet", "value", "count"):
        if facet == "actor":
            total = count
        else:
            by_role[value.split(":", 1)[1]] = count
    return total, by_role


def actor_regions(actor):
    """[(territory, count)] of the régions, provinces or states holding the actor's published
    initiatives, largest count first. One query."""
    key = Concat(Value(f"{actor.pk}:"), OuterRef("path"))
    count = FacetCount.objects.filter(facet="actor_region", value=key).values("count")
    regions = Territory.objects.filter(depth=1).annotate(count=Subquery(count[:1]))
    return sorted(
        ((region, region.count) for region in regions.filter(count__gt=0)),
        key=lambda item: (-item[1], item[0].name),
    )


def values_counted(facet):
    """How many values of a facet some published initiatives have (`commune`: the communes
    holding some). One query."""
    return FacetCount.objects.filter(facet=facet).count()


def with_counts(territories):
    """These territories, each with `count`: its published initiatives."""
    count = FacetCount.objects.filter(facet="territory", value=OuterRef("path")).values("count")
    return territories.annotate(count=Coalesce(Subquery(count[:1]), 0))


def theme_counts(themes):
    """These themes, each with `count` (its published initiatives) and `family_count` (those
    of the family it heads, for a top-level theme). One query."""
    key = Cast(OuterRef("pk"), CharField())
    facet = FacetCount.objects.values("count")
    return themes.annotate(
        count=Coalesce(Subquery(facet.filter(facet="theme", value=key)[:1]), 0),
        family_count=Coalesce(Subquery(facet.filter(facet="family", value=key)[:1]), 0),
    )


def territory_counts(territories):
    """These territories, each with `count`: its published initiatives, those without any
    left out. One query."""
    return with_counts(territories).filter(count__gt=0)


def most_involved_actors(limit, role=None):
    """[(slug, name, count)] of the `limit` actors in the most published initiatives (in
    this role), most first, then by name. One query."""
    if role:
        rows = FacetCount.objects.filter(facet="actor_role", value__endswith=f":{role}")
        actor_id = Substr("value", 1, StrIndex("value", Value(":")) - 1)
    else:
        rows = FacetCount.objects.filter(facet="actor")
        actor_id = F("value")
    # The actors as many as the limit-th one compete with it by name.
    last = rows.order_by("-count").values("count")[limit - 1 : limit]
    actor = Actor.objects.filter(pk=Cast(OuterRef("actor_id"), BigIntegerField()))
    top = (
        rows.filter(count__gte=Coalesce(Subquery(last), 0))
        .annotate(
            actor_id=actor_id,
            slug=Subquery(actor.values("slug")[:1]),
            name=Subquery(actor.values("name")[:1]),
        )
        .values_list("slug", "name", "count")
    )
    return sorted(top, key=lambda row: (-row[2], row[1]))[:limit]


def most_involved_in(actor_counts, limit):
    """[(slug, name, count)] of the `limit` actors with the largest counts of {actor id:
    count} (Tally.actors()), most first, then by name. One query."""
    if not actor_counts:
        return []
    # The actors as many as the limit-th one compete with it by name.
    least = sorted(actor_counts.values(), reverse=True)[:limit][-1]
    candidates = [pk for pk, count in actor_counts.items() if count >= least]
    named = Actor.objects.filter(pk__in=candidates).order_by().values_list("pk", "slug", "name")
    rows = [(slug, name, actor_counts[pk]) for pk, slug, name in named]
    return sorted(rows, key=lambda row: (-row[2], row[1]))[:limit]


def actor_key(actor_id, role=None):
    """(facet, value) of the key counting an actor's initiatives (in this role)."""
    return ("actor_role", f"{actor_id}:{role}") if role else ("actor", str(actor_id))


def territory_options(territory, tally=None):
    """(the territory's ancestors from the root down, itself left out; [(territory, count)]
    one level below it, below the countries when None, largest count first), for the
    filters: from a Tally, or from the stored counts of the published directory. One query
    for a tally, two otherwise (the ancestors come from the cache while the directory has
    not changed)."""
    if tally is None:
        return (territory.ancestors() if territory else []), children_with_counts(territory)
    children = tally.children(territory)
    above = territory.ancestor_paths()[:-1] if territory else []
    found = list(Territory.objects.filter(path__in=[*children, *above]))
    ancestors = sorted((t for t in found if t.path in above), key=lambda t: t.depth)
    named = [(t, children[t.path]) for t in found if t.path in children]
    return ancestors, sorted(named, key=lambda item: (-item[1], item[0].name))


def children_with_counts(territory):
    """[(territory, count)] one level below `territory` (below the countries when None), from
    the stored counts, largest count first. One query."""
    children = Territory.objects.filter(depth=1) if territory is None else territory.children.all()
    return sorted(
        ((child, child.count) for child in territory_counts(children)),
        key=lambda item: (-item[1], item[0].name),
    )


class Estimate(int):
    """A count estimated from a sample of the initiatives (Tally): shown as about so many."""


class Tally:
    """How many initiatives of a set are counted under each key (keys_of()): all of them, or
    a sample of them scaled up by `scale`, every count then an Estimate."""

    def __init__(self, keys_per_initiative, scale=1):
        counted = Counter()
        for keys in keys_per_initiative:
            counted.update(keys)
        self.by_facet = defaultdict(dict)  # "stage:consolidation" -> ["stage"]["consolidation"]
        for key, count in counted.items():
            facet, _colon, value = key.partition(":")
            self.by_facet[facet][value] = count
        self.scale = scale

    @property
    def exact(self):
        return self.scale == 1

    def scaled(self, count):
        return count if self.exact else Estimate(round(count * self.scale))

    def __getitem__(self, key):
        facet, _colon, value = key.partition(":")
        return self.scaled(self.by_facet[facet].get(value, 0))

    def of(self, facet):
        """{value: count} of one facet: tally.of("stage") -> {"consolidation": 12, ...}."""
        return {value: self.scaled(count) for value, count in self.by_facet[facet].items()}

    @property
    def total(self):
        return self["all:"]

    def points(self):
        """(how many have a point, how many have none)."""
        everyone, located = self.by_facet["all"].get("", 0), self.by_facet["located"].get("", 0)
        return self.scaled(located), self.scaled(everyone - located)

    def children(self, territory):
        """{path: count} of the territories one level below `territory` (below the countries
        when None) that hold some of these initiatives."""
        parent_path = territory.path if territory else ""
        depth = parent_path.count("/") + 1 if territory else 2  # "france/bretagne/": 2
        return {
            path: count
            for path, count in self.of("territory").items()
            if path.startswith(parent_path) and path.count("/") == depth
        }

    def actors(self, role=None):
        """{actor id: count} of the actors involved in these initiatives (in this role)."""
        if not role:
            return {int(pk): count for pk, count in self.of("actor").items()}
        suffix = f":{role}"
        return {
            int(value.removesuffix(suffix)): count
            for value, count in self.of("actor_role").items()
            if value.endswith(suffix)
        }


def tally(*initiative_sets):
    """[Tally] of each of these querysets of initiatives, from their keys (CountedInitiative).

    A set is read in the order of its initiatives' sample slots (models.SAMPLE_SLOTS), from
    the `initiative_sample` index, first among the slots that hold about SAMPLE_FROM published
    initiatives (all of them in a smaller directory), at most SAMPLE_SIZE + 1 rows:

    - up to SAMPLE_SIZE rows, the set's initiatives in those slots, a sample of the set;
    - beyond, the slots read whole before the last row's, a smaller sample;
    - so few rows that the set would hold SAMPLE_SIZE initiatives or fewer: it is read again
      in every slot, and counted whole (unless the sample misjudged it: then, as above, the
      slots read whole before the 1,001st row's).

    A sample's counts are scaled up by the share of the slots it holds. The directory's size
    comes with its version (freshness.published_count()). No set costs more than reading
    SAMPLE_FROM initiatives and SAMPLE_SIZE keys, however large the set or the directory,
    but a small set read again, whose cost is that of finding it. One query on PostgreSQL
    (the sets in one UNION ALL), two when some sets are small; on SQLite one per set and
    reading (it refuses a LIMIT inside a UNION). Three more when some initiatives are not
    published, so not counted: keys_of() reads their keys from their rows.
    """
    if not initiative_sets:
        return []
    sets = dict(enumerate(initiative_sets))
    first = first_slots(freshness.published_count())
    by_part = read_in_slot_order(sets, first)
    slots_read = dict.fromkeys(sets, first)
    # A set is small when its sample, scaled up, holds SAMPLE_SIZE initiatives or fewer.
    small = [
        part
        for part, rows in by_part.items()
        if first < SAMPLE_SLOTS and len(rows) * SAMPLE_SLOTS <= SAMPLE_SIZE * first
    ]
    if small:
        by_part.update(read_in_slot_order({part: sets[part] for part in small}))
        slots_read.update(dict.fromkeys(small, SAMPLE_SLOTS))
    uncounted = [pk for rows in by_part.values() for _slot, pk, keys in rows if keys is None]
    read = keys_of(uncounted, published_only=False) if uncounted else {}
    tallies = []
    for part, rows in by_part.items():
        slots = slots_read[part]
        if len(rows) > SAMPLE_SIZE:
            # The last row's slot may hold more of the set than were read: the slots before
            # it were read whole. (Past SAMPLE_SIZE × SAMPLE_SLOTS initiatives, the first slot
            # alone holds more than were read: it is counted as if whole.)
            slots = max(rows[-1][0], 1)
            rows = [row for row in rows if row[0] < slots] or rows
        keys = (read.get(pk, ()) if keys is None else json.loads(keys) for _slot, pk, keys in rows)
        tallies.append(Tally(keys, SAMPLE_SLOTS / slots))
    return tallies


def first_slots(published):
    """How many sample slots hold about SAMPLE_FROM of the `published` initiatives: all of
    them in a smaller directory."""
    return min(SAMPLE_SLOTS, math.ceil(SAMPLE_SLOTS * SAMPLE_FROM / max(published, 1)))


def read_in_slot_order(sets, bound=SAMPLE_SLOTS):
    """{part: [(slot, pk, keys)]} of each set of initiatives, {part: queryset}: its rows in
    its first `bound` slots, at most SAMPLE_SIZE + 1 of them, in slot order. One query on
    PostgreSQL, one per set elsewhere."""
    # As text, decoded by tally(): Django's JSON conversion costs more than the decoding.
    stored_keys = Subquery(
        CountedInitiative.objects.filter(initiative_id=OuterRef("pk")).values("keys"),
        output_field=TextField(),
    )
    samples = []
    for part, initiatives in sets.items():
        rows = initiatives.prefetch_related(None).annotate(
            part=Value(part), slot=F("pk") % SAMPLE_SLOTS, stored_keys=stored_keys
        )
        if bound < SAMPLE_SLOTS:
            rows = rows.filter(slot__lt=bound)
        rows = rows.order_by("slot", "pk").values_list("part", "slot", "pk", "stored_keys")
        samples.append(rows[: SAMPLE_SIZE + 1])
    by_part = {part: [] for part in sets}
    for part, slot, pk, keys in sorted(rows_of_slices(samples), key=lambda row: row[:3]):
        by_part[part].append((slot, pk, keys))
    return by_part
