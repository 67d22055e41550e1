"""The import engine: a plan (a dry run that writes nothing), then its application, whole or
not at all.

`plan_import(table, mapping, source)` reads every row through the mapping and decides, row by
row: new, update, unchanged, rejected (with its reason) or possible duplicate of an existing
initiative (with the candidates, most likely first). It compares a known row three ways, with
what the previous import of the source wrote (SourceIdentifier.imported_values) and what the
initiative holds now: a field a curator edited since is not overwritten silently, but listed
as a conflict, unless the file brings nothing new for it.

`apply_import(plan, decisions)` writes in one transaction, in bulk, as one revision of the
history, then tells the directory once (freshness.directory_changed). Rows that change
nothing write nothing: importing the same file twice records no version and bumps no
directory version.
"""

import difflib
import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from actors.models import Actor, Involvement
from initiatives import freshness, history
from initiatives.bulk import count_saves, sync_links
from initiatives.links import website_key
from initiatives.models import (
    SIMILAR_NAMES,
    Initiative,
    InitiativeContact,
    SourceIdentifier,
    Territory,
    Theme,
)
from initiatives.search import new_search_document, place_names, theme_names, words_of

from . import mapping as read
from .places import PlaceFinder

# The fields an import writes, as its targets name them.
TEXT_FIELDS = {
    "name": 200,
    "summary": 280,
    "description": None,
    "how_it_works": None,
    "obstacles": None,
    "enablers": None,
    "lessons": None,
    "address": 300,
}
COMPARED = [
    *TEXT_FIELDS,
    "website",
    "commune",
    "latitude",
    "longitude",
    "stage",
    "legal_form",
    "year_started",
    "themes",
    "contact.name",
    "contact.email",
    "contact.phone",
]
# Two initiatives with similar names (models.SIMILAR_NAMES) closer than this are possibly the
# same (metres).
NEARBY_METRES = 300


class Action:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass
class Candidate:
    initiative: Initiative
    reason: str
    score: float


@dataclass
class Conflict:
    field: str
    label: str
    current: object
    incoming: object


@dataclass
class PlannedRow:
    line: int
    reference: str = ""
    values: dict = field(default_factory=dict)  # comparable values, COMPARED keys
    actors: list = field(default_factory=list)  # [(role, name)]
    siret: str = ""
    updated: str = ""
    warnings: list = field(default_factory=list)
    action: str = Action.NEW
    reason: str = ""
    commune: object = None  # the places.Place found, or None
    existing: Initiative = None
    identifier: SourceIdentifier = None
    changes: dict = field(default_factory=dict)
    new_actors: set = field(default_factory=set)
    conflicts: list = field(default_factory=list)
    candidates: list = field(default_factory=list)

    @property
    def name(self):
        return self.values.get("name", "")


@dataclass
class Plan:
    source: str
    mapping: dict
    rows: list = field(default_factory=list)
    unmapped_categories: set = field(default_factory=set)

    def counts(self):
        counts = dict.fromkeys(
            [Action.NEW, Action.UPDATE, Action.UNCHANGED, Action.REJECTED, Action.DUPLICATE], 0
        )
        for row in self.rows:
            counts[row.action] += 1
        counts["conflicts"] = sum(len(row.conflicts) for row in self.rows)
        return counts

    def rejected(self):
        return [row for row in self.rows if row.action == Action.REJECTED]

    def duplicates(self):
        rows = [row for row in self.rows if row.action == Action.DUPLICATE]
        return sorted(rows, key=lambda row: -row.candidates[0].score)

    def conflicted(self):
        return [row for row in self.rows if row.conflicts]


@contextmanager
def without_cycle_collection():
    """Python's cycle collector walks every live object each time enough new ones were made:
    during an import, the whole file and the 35,000 communes, dozens of times, about a sixth
    of the import's time. Reference counting still frees what the import drops; the few
    cycles wait for the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@without_cycle_collection()
def plan_import(table, mapping, source):
    """The Plan of importing this Table with this mapping as `source` (no write)."""
    plan = Plan(source=source, mapping=mapping)
    reader = RowReader(mapping)
    seen = {}
    for line, cells in table.rows:
        row = reader.read(line, cells)
        plan.unmapped_categories |= reader.unmapped
        reader.unmapped = set()
        if row.action != Action.REJECTED:
            if row.reference in seen:
                row.action = Action.REJECTED
                row.reason = _("Same identifier as line %(line)s: %(id)s") % {
                    "line": seen[row.reference],
                    "id": row.reference,
                }
            seen.setdefault(row.reference, line)
        plan.rows.append(row)
    compare_with_the_directory(plan)
    check_rows(plan)
    return plan


class RowReader:
    """One file row into a PlannedRow, through the mapping."""

    def __init__(self, mapping):
        self.columns = mapping.get("columns", {})
        self.separator = mapping.get("separator") or ";"
        themes = Theme.objects.in_bulk(field_name="slug")
        by_name = {words_of(theme.name): theme for theme in themes.values()}
        self.themes = {}
        for category, slug in (mapping.get("themes") or {}).items():
            if slug in themes:
                self.themes[str(category)] = slug
        # A category named like a theme (or its slug) needs no line in the mapping.
        self.themes_by_name = {**{slug: slug for slug in themes}, **{
            key: theme.slug for key, theme in by_name.items()
        }}  # fmt: skip
        self.places = PlaceFinder()
        self.unmapped = set()

    def cell(self, target):
        columns = self.columns.get(target)
        return read.value_of(self.cells, columns) if columns else None

    def read(self, line, cells):
        self.cells = cells
        row = PlannedRow(line=line)
        values = row.values
        for name in TEXT_FIELDS:
            if name in self.columns:
                values[name] = read.text(self.cell(name))
        if not values.get("name"):
            row.action, row.reason = Action.REJECTED, _("No name.")
            return row
        values["summary"] = summary_of(
            values.get("summary", ""), values.get("description", ""), values["name"]
        )
        too_long = [
            name
            for name, limit in TEXT_FIELDS.items()
            if limit and name != "summary" and len(values.get(name, "")) > limit
        ]
        if too_long:
            row.action = Action.REJECTED
            row.reason = _("Too long: %(fields)s.") % {"fields": ", ".join(too_long)}
            return row
        # Sources write people's phones and e-mails into their descriptions: the preview says
        # so, before they become public.
        personal = [
            label_of(name)
            for name in TEXT_FIELDS
            if name != "address" and read.holds_contact_details(values.get(name, ""))
        ]
        if personal:
            row.warnings.append(
                _(
                    "What looks like a phone number or an e-mail address would be public, in: "
                    "%(fields)s."
                )
                % {"fields": ", ".join(personal)}
            )
        if "website" in self.columns:
            raw = self.cell("website")
            values["website"] = read.website(raw)
            if raw and not values["website"]:
                row.warnings.append(_("“%(value)s” is not a web address.") % {"value": raw})
        self.read_place(row)
        for name, choices in (("stage", Initiative.Stage), ("legal_form", Initiative.LegalForm)):
            if name in self.columns:
                raw = self.cell(name)
                values[name] = read.choice(raw, choices.choices) or ""
                if raw and not values[name]:
                    row.warnings.append(
                        _("Unknown %(field)s “%(value)s”: left empty.")
                        % {"field": Initiative._meta.get_field(name).verbose_name, "value": raw}
                    )
        if "year_started" in self.columns:
            values["year_started"] = read.year(self.cell("year_started"))
        if "categories" in self.columns:
            values["themes"] = self.read_themes(self.cell("categories"))
        for target in ("contact.name", "contact.email", "contact.phone"):
            if target in self.columns:
                values[target] = read.text(self.cell(target), 254 if "email" in target else 200)
        for target, role in read.ROLES.items():
            if target in self.columns:
                row.actors += [
                    (role, name[:200]) for name in read.names(self.cell(target), self.separator)
                ]
        row.siret = "".join(ch for ch in str(self.cell("siret") or "") if ch.isdigit())
        row.updated = read.date(self.cell("updated")) or str(self.cell("updated") or "")[:40]
        identifier = self.cell("identifier")
        row.reference = (
            str(identifier).strip()
            if identifier not in (None, "")
            else slugify(values["name"])[:200]
        )
        return row

    def read_place(self, row):
        values = row.values
        latitude, longitude = (
            read.number(self.cell("latitude")),
            read.number(self.cell("longitude")),
        )
        point = None
        if latitude is not None and longitude is not None:
            if -90 <= latitude <= 90 and -180 <= longitude <= 180 and (latitude or longitude):
                point = (latitude, longitude)
            else:
                row.warnings.append(_("Coordinates out of range: left out."))
        if "latitude" in self.columns:
            values["latitude"], values["longitude"] = point if point else (None, None)
        postal_code = read.five_digits(self.cell("postal_code"))
        name = read.text(self.cell("commune_name"))
        if not (postal_code and name):
            # "88 rue de la Jonquière 75017 PARIS 17": the end of the address says it.
            code, town = read.postal_code_and_town(values.get("address", ""))
            postal_code, name = postal_code or code, name or town
        if {"insee_code", "postal_code", "commune_name", "latitude", "address"} & set(self.columns):
            commune, warnings = self.places.find(
                read.five_digits(self.cell("insee_code")), postal_code, name, point
            )
            values["commune"] = commune.code if commune else None
            row.commune = commune
            row.warnings += warnings

    def read_themes(self, cell):
        if cell in (None, ""):
            return []
        items = cell if isinstance(cell, list) else read.names(cell, self.separator)
        found = set()
        for item in items:
            key = str(item).strip()
            slug = (
                self.themes.get(key)
                or self.themes_by_name.get(words_of(key))
                or (self.themes_by_name.get(key))
            )
            if slug:
                found.add(slug)
            else:
                self.unmapped.add(key)
        return sorted(found)


def summary_of(summary, description, name):
    """The summary, else the beginning of the description, else the name, within the 280
    characters a summary holds."""
    text = summary or description or name
    if len(text) <= 280:
        return text
    cut = text[:279].rsplit(" ", 1)[0]
    return cut + "…"


def compare_with_the_directory(plan):
    """Mark each readable row new, unchanged, update (with its conflicts) or duplicate."""
    rows = [row for row in plan.rows if row.action != Action.REJECTED]
    known = {
        record.identifier: record
        for record in SourceIdentifier.objects.filter(
            source=plan.source, identifier__in=[row.reference for row in rows]
        )
        .select_related("initiative__commune")
        .prefetch_related(
            "initiative__themes", "initiative__involvements__actor", "initiative__contact"
        )
    }
    duplicates = DuplicateFinder() if any(r.reference not in known for r in rows) else None
    for row in rows:
        record = known.get(row.reference)
        if record is None:
            row.candidates = duplicates.candidates(row)
            if row.candidates:
                row.action = Action.DUPLICATE
            continue
        row.identifier, row.existing = record, record.initiative
        current = current_values(record.initiative)
        last = record.imported_values or {}
        for name, incoming in row.values.items():
            if same(incoming, current.get(name)):
                continue
            if (
                name in last
                and not same(current.get(name), last[name])
                and not same(incoming, last[name])
            ):
                row.conflicts.append(Conflict(name, label_of(name), current.get(name), incoming))
            elif name not in last or same(current.get(name), last[name]):
                row.changes[name] = incoming
        involved = {(i.role, words_of(i.actor.name)) for i in record.initiative.involvements.all()}
        row.new_actors = {(role, name) for role, name in row.actors} - {
            (role, name) for role, name in row.actors if (role, words_of(name)) in involved
        }
        changed = row.changes or row.conflicts or row.new_actors
        row.action = Action.UPDATE if changed else Action.UNCHANGED


def current_values(initiative):
    """An initiative's values as an import compares them (COMPARED keys)."""
    contact = getattr(initiative, "contact", None) if hasattr(initiative, "contact") else None
    return {
        **{name: getattr(initiative, name) for name in TEXT_FIELDS},
        "website": initiative.website,
        "commune": initiative.commune.code if initiative.commune_id else None,
        "latitude": initiative.latitude,
        "longitude": initiative.longitude,
        "stage": initiative.stage,
        "legal_form": initiative.legal_form,
        "year_started": initiative.year_started,
        "themes": sorted(theme.slug for theme in initiative.themes.all()),
        "contact.name": contact.name if contact else "",
        "contact.email": contact.email if contact else "",
        "contact.phone": contact.phone if contact else "",
    }


def same(first, second):
    if isinstance(first, float) or isinstance(second, float):
        try:
            return abs(float(first) - float(second)) < 1e-7
        except (TypeError, ValueError):
            return first == second
    return (first or None) == (second or None)


def label_of(name):
    target = read.TARGETS_BY_NAME.get(name)
    if target:
        return str(target.label)
    if name == "themes":
        return _("themes")
    if name == "commune":
        return _("commune")
    return str(Initiative._meta.get_field(name).verbose_name)


class DuplicateFinder:
    """The existing initiatives a new row may duplicate: the same SIRET, the same website,
    the same name in the same commune, or a similar name within NEARBY_METRES. In memory,
    one pass over the directory per import."""

    def __init__(self):
        self.by_siret = dict(
            SourceIdentifier.objects.filter(source="siret").values_list("identifier", "initiative")
        )
        self.by_website, self.by_place, self.by_cell = {}, {}, {}
        self.names = {}
        rows = Initiative.objects.values_list(
            "pk", "name", "website", "commune__code", "latitude", "longitude"
        )
        for pk, name, site, commune, latitude, longitude in rows:
            key = words_of(name)
            self.names[pk] = name
            if site:
                self.by_website.setdefault(website_key(site), []).append(pk)
            if commune:
                self.by_place.setdefault((commune, key), []).append(pk)
            if latitude is not None:
                self.by_cell.setdefault(cell(latitude, longitude), []).append(
                    (pk, key, latitude, longitude)
                )
        self.initiatives = {}

    def candidates(self, row):
        found = {}

        def add(pk, reason, score):
            if pk not in found or found[pk][1] < score:
                found[pk] = (reason, score)

        if row.siret and row.siret in self.by_siret:
            add(self.by_siret[row.siret], _("same SIRET"), 1.0)
        site = row.values.get("website")
        same_website = _("same website")
        for pk in self.by_website.get(website_key(site), []) if site else []:
            add(pk, same_website, 0.95)
        key = words_of(row.name)
        for pk in self.by_place.get((row.values.get("commune"), key), []):
            add(pk, _("same name, same commune"), 0.9)
        latitude, longitude = row.values.get("latitude"), row.values.get("longitude")
        if latitude is not None:
            # The matcher keeps what it learnt of the row's name from one neighbour to the
            # next; its quick upper bounds spare the full comparison of most names. A dense
            # city puts hundreds of initiatives around a point.
            matcher = difflib.SequenceMatcher(None, b=key)
            for pk, other, other_latitude, other_longitude in self.nearby(latitude, longitude):
                metres = distance(latitude, longitude, other_latitude, other_longitude)
                if metres > NEARBY_METRES:
                    continue
                matcher.set_seq1(other)
                if matcher.real_quick_ratio() < SIMILAR_NAMES:
                    continue
                if matcher.quick_ratio() < SIMILAR_NAMES:
                    continue
                similarity = matcher.ratio()
                if similarity >= SIMILAR_NAMES:
                    reason = _("similar name %(metres)d m away") % {"metres": metres}
                    add(pk, reason, similarity * (1 - metres / NEARBY_METRES / 4))
        initiatives = Initiative.objects.in_bulk([pk for pk in found if pk not in self.initiatives])
        self.initiatives.update(initiatives)
        return sorted(
            (
                Candidate(self.initiatives[pk], reason, score)
                for pk, (reason, score) in found.items()
            ),
            key=lambda candidate: -candidate.score,
        )

    def nearby(self, latitude, longitude):
        row, column = cell(latitude, longitude)
        for step_row in (-1, 0, 1):
            for step_column in (-1, 0, 1):
                yield from self.by_cell.get((row + step_row, column + step_column), [])


def cell(latitude, longitude):
    # Squares of about 1 km: the neighbours of a point are in its square and the eight around.
    return (math.floor(latitude * 100), math.floor(longitude * 100))


def distance(latitude, longitude, other_latitude, other_longitude):
    """Metres between two points (equirectangular: exact enough within a few kilometres)."""
    x = math.radians(other_longitude - longitude) * math.cos(math.radians(latitude))
    y = math.radians(other_latitude - latitude)
    return 6_371_000 * math.hypot(x, y)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0

    def as_dict(self):
        return self.__dict__.copy()


@without_cycle_collection()
def apply_import(plan, decisions=None, user=None, file_name=""):
    """Write the plan, as one revision; returns a Report.

    `decisions`: {"duplicates": {line: "create" | "skip" | "merge:<pk>"}, "conflicts":
    {"<line>:<field>": "keep" | "take"}}. A possible duplicate is skipped, and a conflict keeps
    the curator's value, unless decided otherwise.
    """
    decisions = decisions or {}
    report = Report(rejected=len(plan.rejected()))
    with transaction.atomic():
        writer = Writer(plan)
        for row in plan.rows:
            if row.action == Action.REJECTED:
                continue
            if row.action == Action.DUPLICATE:
                choice = str(decisions.get("duplicates", {}).get(row.line, "skip"))
                if choice == "create":
                    writer.create(row)
                elif choice.startswith("merge:") and choice[6:].isdigit():
                    target = next(
                        (
                            c.initiative
                            for c in row.candidates
                            if str(c.initiative.pk) == choice[6:]
                        ),
                        None,
                    )
                    if target is None:
                        report.skipped += 1
                        continue
                    writer.merge(row, target)
                else:
                    report.skipped += 1
            elif row.action == Action.NEW:
                writer.create(row)
            elif row.action == Action.UPDATE:
                for conflict in row.conflicts:
                    if decisions.get("conflicts", {}).get(f"{row.line}:{conflict.field}") == "take":
                        row.changes[conflict.field] = conflict.incoming
                if row.changes or row.new_actors:
                    writer.update(row)
                else:
                    report.unchanged += 1
            else:
                report.unchanged += 1
        writer.write()
        report.created, report.updated, report.merged = (
            len(writer.created),
            len(writer.updated),
            len(writer.merged),
        )
        comment = _(
            "Imported from %(file)s (%(source)s): %(created)d created, %(updated)d updated, "
            "%(merged)d merged."
        ) % {
            "file": file_name or plan.source,
            "source": plan.source,
            "created": report.created,
            "updated": report.updated,
            "merged": report.merged,
        }
        history.save_revision(Initiative, writer.touched, user=user, comment=comment)
    return report


class Writer:
    """Collects what the rows write, then writes it in bulk."""

    def __init__(self, plan):
        self.plan = plan
        self.status = plan.mapping.get("status") or Initiative.Status.DRAFT
        self.created, self.updated, self.merged = [], [], []  # [(row, initiative)]
        self.touched = set()  # pks of the initiatives written

    def create(self, row):
        initiative = Initiative(status=self.status)
        for name in (*TEXT_FIELDS, "website", "latitude", "longitude", "stage", "legal_form",
                     "year_started"):  # fmt: skip
            if name in row.values and row.values[name] is not None:
                setattr(initiative, name, row.values[name])
        initiative.commune_id = row.commune.pk if row.commune else None
        self.created.append((row, initiative))

    def update(self, row):
        initiative = row.existing
        for name, value in row.changes.items():
            if name == "commune":
                initiative.commune_id = row.commune.pk if value and row.commune else None
            elif name != "themes" and not name.startswith("contact."):
                setattr(initiative, name, value if value is not None else default_of(name))
        self.updated.append((row, initiative))

    def merge(self, row, initiative):
        """Into an existing initiative: its identifier in the source, and what it lacks."""
        current = current_values(initiative)
        row.changes = {
            name: value
            for name, value in row.values.items()
            if value not in (None, "", []) and current.get(name) in (None, "", [])
        }
        if "themes" in row.values:
            row.changes["themes"] = sorted(set(current["themes"]) | set(row.values["themes"]))
        row.existing = initiative
        row.new_actors = set(row.actors)
        self.update(row)
        self.updated.pop()
        self.merged.append((row, initiative))

    def write(self):
        everything = self.created + self.updated + self.merged
        actors = self.write_actors(everything)
        created = [initiative for _row, initiative in self.created]
        now = timezone.now()
        for initiative in created:
            initiative.slug = self.free_slug(initiative.name)
            if initiative.status == Initiative.Status.PUBLISHED:
                initiative.published_at = now
        self.give_search_documents(actors)
        Initiative.objects.bulk_create(created, batch_size=1000)
        # A row whose content changed is saved as a form would save it (updated_at, one more
        # edit); new involvements alone do not change the initiative's own content.
        edited = [(row, i) for row, i in self.updated + self.merged if row.changes]
        fields = {
            name
            for row, _initiative in edited
            for name in row.changes
            if name != "themes" and not name.startswith("contact.")
        }
        if edited:
            initiatives = [initiative for _row, initiative in edited]
            fields |= count_saves(Initiative, initiatives)
            Initiative.objects.bulk_update(initiatives, sorted(fields), batch_size=1000)
        self.write_themes(everything)
        self.write_involvements(everything, actors)
        self.write_contacts(everything)
        self.write_identifiers(everything)
        self.touched = {initiative.pk for _row, initiative in everything}
        if self.touched:
            # The new rows were inserted with their search documents: only the others' need
            # rebuilding at commit. All are counted.
            freshness.directory_changed(
                {initiative.pk for _row, initiative in self.updated + self.merged},
                inserted={initiative.pk for initiative in created},
            )

    def give_search_documents(self, actors):
        """New initiatives are inserted with their search documents, so that the refresh at
        commit neither writes every new row a second time nor rebuilds their documents."""
        paths = dict(
            Territory.objects.filter(
                pk__in={row.commune.pk for row, _initiative in self.created if row.commune}
            ).values_list("pk", "path")
        )
        places = place_names(Territory.objects, set(paths.values()))
        names_of_theme = theme_names(Theme.objects, key="slug")
        for row, initiative in self.created:
            # One name per involvement: write_involvements makes one per role and actor.
            involved = {(role, words_of(name)) for role, name in row.actors}
            themes = row.values.get("themes") or ()
            initiative.search_document = new_search_document(
                initiative,
                [name for slug in themes for name in names_of_theme.get(slug, [])],
                places.get(paths.get(initiative.commune_id), []),
                [actors[key].name for _role, key in involved],
            )

    def free_slug(self, name):
        if not hasattr(self, "taken"):
            self.taken = set(Initiative.objects.values_list("slug", flat=True))
        base = slugify(name)[:190] or "initiative"
        slug, number = base, 2
        while slug in self.taken:
            slug, number = f"{base}-{number}", number + 1
        self.taken.add(slug)
        return slug

    def write_themes(self, rows):
        wanted = {}
        for row, initiative in rows:
            themes = row.changes.get("themes") if row.existing else row.values.get("themes")
            if themes is not None:
                wanted[initiative.pk] = themes
        if wanted:
            ids = dict(Theme.objects.values_list("slug", "pk"))
            sync_links(
                Initiative.themes,
                {pk: {ids[slug] for slug in slugs if slug in ids} for pk, slugs in wanted.items()},
            )

    @staticmethod
    def wanted_involvements(rows):
        return [
            (initiative, role, name)
            for row, initiative in rows
            for role, name in (row.new_actors if row.existing else row.actors)
        ]

    def write_actors(self, rows):
        """{words_of(name): Actor} of the rows' actors, creating those missing."""
        wanted = self.wanted_involvements(rows)
        if not wanted:
            return {}
        actors = {words_of(actor.name): actor for actor in Actor.objects.only("pk", "name", "slug")}
        taken = {actor.slug for actor in actors.values()}
        new = []
        for _initiative, _role, name in wanted:
            key = words_of(name)
            if key not in actors:
                slug, number = slugify(name)[:190] or "acteur", 2
                while slug in taken:
                    slug, number = f"{slugify(name)[:190]}-{number}", number + 1
                taken.add(slug)
                actors[key] = Actor(
                    name=name, slug=slug, kind=Actor.Kind.ASSOCIATION, sector=Actor.Sector.ESS
                )
                new.append(actors[key])
        Actor.objects.bulk_create(new)
        return actors

    def write_involvements(self, rows, actors):
        wanted = self.wanted_involvements(rows)
        if not wanted:
            return
        existing = set(
            Involvement.objects.filter(
                initiative__in=[initiative for initiative, _role, _name in wanted]
            ).values_list("initiative_id", "actor_id", "role")
        )
        involvements = {}
        for initiative, role, name in wanted:
            key = (initiative.pk, actors[words_of(name)].pk, role)
            if key not in existing:
                involvements[key] = Involvement(
                    initiative=initiative, actor=actors[words_of(name)], role=role
                )
        Involvement.objects.bulk_create(involvements.values())

    def write_contacts(self, rows):
        wanted = {}
        for row, initiative in rows:
            source = row.changes if row.existing else row.values
            values = {
                name.split(".")[1]: source[name]
                for name in ("contact.name", "contact.email", "contact.phone")
                if name in source
            }
            if any(values.values()):
                wanted[initiative.pk] = values
        if not wanted:
            return
        existing = {
            contact.initiative_id: contact
            for contact in InitiativeContact.objects.filter(initiative__in=wanted)
        }
        new, changed = [], []
        for pk, values in wanted.items():
            contact = existing.get(pk)
            if contact is None:
                new.append(InitiativeContact(initiative_id=pk, **values))
            else:
                for name, value in values.items():
                    setattr(contact, name, value or "")
                changed.append(contact)
        InitiativeContact.objects.bulk_create(new)
        if changed:
            InitiativeContact.objects.bulk_update(changed, ["name", "email", "phone"])

    def write_identifiers(self, rows):
        new, changed, sirets = [], [], []
        for row, initiative in rows:
            imported = {**(row.identifier.imported_values if row.identifier else {}), **row.values}
            if row.identifier is None:
                new.append(
                    SourceIdentifier(
                        initiative=initiative,
                        source=self.plan.source,
                        identifier=row.reference,
                        imported_values=imported,
                        source_updated=row.updated,
                    )
                )
            elif imported != row.identifier.imported_values or (
                row.updated != row.identifier.source_updated
            ):
                row.identifier.imported_values = imported
                row.identifier.source_updated = row.updated
                changed.append(row.identifier)
            if row.siret and len(row.siret) == 14:
                sirets.append(
                    SourceIdentifier(initiative=initiative, source="siret", identifier=row.siret)
                )
        SourceIdentifier.objects.bulk_create(new)
        if changed:
            SourceIdentifier.objects.bulk_update(changed, ["imported_values", "source_updated"])
        SourceIdentifier.objects.bulk_create(sirets, ignore_conflicts=True)


def default_of(name):
    model_field = Initiative._meta.get_field(name)
    return None if model_field.null else ""


# The fields of a row that check_rows() validates, the name and summary always, the others
# when the row gives them; the probe's other fields keep their defaults.
OPTIONAL_CHECKED_FIELDS = ("website", "year_started", "latitude", "longitude")
UNCHECKED_FIELDS = [
    f.name
    for f in Initiative._meta.fields
    if f.name not in ("name", "summary", *OPTIONAL_CHECKED_FIELDS)
]


def check_rows(plan):
    """Model validation of the new and updated rows (field lengths, ranges), for the plan:
    such rows are rejected with the reason, before anything is written."""
    for row in plan.rows:
        if row.action not in (Action.NEW, Action.UPDATE, Action.DUPLICATE):
            continue
        probe = Initiative(
            name=row.values.get("name", ""), slug="probe", summary=row.values.get("summary", "x")
        )
        for name in OPTIONAL_CHECKED_FIELDS:
            if row.values.get(name) is not None:
                setattr(probe, name, row.values[name])
        try:
            probe.clean_fields(exclude=UNCHECKED_FIELDS)
        except ValidationError as error:
            row.action = Action.REJECTED
            row.reason = "; ".join(
                f"{label_of(name)}: {' '.join(messages)}"
                for name, messages in error.message_dict.items()
            )
