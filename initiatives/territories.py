"""France's territories: how they are named, and their import from the INSEE COG.

`python manage.py import_territories [--cog-dir DIR]` reads regions.csv, departements.csv and
communes.csv (comma-separated, as INSEE publishes them, or compressed as .csv.gz) and builds
France › 18 régions › 101 départements › the communes, named with LIBELLE
("L'Abergement-Clémenciat"). Essaim ships the COG 2026 files, compressed, in
initiatives/data/cog-2026/ (Licence Ouverte 2.0, see the README there), which the demo load
imports: every French commune exists on day one.

Only TYPECOM=COM rows are imported. Communes déléguées (COMD), communes associées (COMA) and
the arrondissements municipaux of Paris, Lyon and Marseille (ARM) are skipped: they are parts
of a commune, not communes, and an initiative there is placed in the parent commune
(COMPARENT). Several hundred COMD/COMA even share their code with their parent commune.

Existing territories are matched by (country, kind, code), never by slug: a matched row keeps
its id, slug and centre, and only its name and parent are updated. Nothing is deleted, and
territories missing from the files (e.g. communes that have since merged) are left as they are.
The whole import is one transaction, and a second run changes nothing. The COG has no
coordinates, so new territories have no centre.

The demo data (initiatives/demo/demo.json) and the COG import follow the same naming rules,
so a territory created by one is found, not duplicated, by the other:

- the country is "france";
- a région is slugify(name): "hauts-de-france";
- a département is slugify(name), or slugify(name)-code when that slug is already used by
  another territory: the five overseas départements share their région's name, so
  "guadeloupe" is the région and "guadeloupe-971" the département;
- a commune is always slugify(name)-code, since many communes share a name:
  "bruay-la-buissiere-62178".
"""

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import reversion
from django.db.models import Q
from django.utils.text import slugify

from .freshness import directory_changed
from .models import Initiative, Territory
from .search import place_key

FRANCE_SLUG = "france"
SHIPPED_COG = Path(__file__).resolve().parent / "data" / "cog-2026"


def slug_choices(name, code):
    """A région's or département's slug, then the fallback when the first is taken."""
    return [slugify(name), commune_slug(name, code)]


def commune_slug(name, code):
    return f"{slugify(name)}-{code.lower()}"


class CogError(ValueError):
    """The COG files cannot be imported as they are: the message says why."""


BATCH_SIZE = 2000
FRANCE = "FR"
Kind = Territory.Kind


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    parent_code: str


@dataclass(frozen=True)
class Cog:
    regions: list[Row]
    departements: list[Row]
    communes: list[Row]


def read_csv(path, columns):
    """The rows of a COG file, read from name.csv or from its compressed copy name.csv.gz."""
    if not path.is_file() and path.with_suffix(".csv.gz").is_file():
        path = path.with_suffix(".csv.gz")
    if not path.is_file():
        raise CogError(f"{path} is missing.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            found = reader.fieldnames or []
            missing = [column for column in columns if column not in found]
            if missing:
                raise CogError(
                    f"{path.name} lacks the column(s) {', '.join(missing)}; "
                    f"found {', '.join(found) or 'no header'}."
                )
            return list(reader)
    except (UnicodeDecodeError, csv.Error, OSError) as error:
        raise CogError(
            f"{path.name} is not a UTF-8 CSV file as INSEE publishes: {error}"
        ) from error


def read_cog(cog_dir):
    """Read and check the three files before anything is written."""
    if not cog_dir.is_dir():
        raise CogError(f"{cog_dir} is not a directory.")
    regions = [
        Row(row["REG"], row["LIBELLE"], FRANCE)
        for row in read_csv(cog_dir / "regions.csv", ["REG", "LIBELLE"])
    ]
    departements = [
        Row(row["DEP"], row["LIBELLE"], row["REG"])
        for row in read_csv(cog_dir / "departements.csv", ["DEP", "REG", "LIBELLE"])
    ]
    communes = [
        Row(row["COM"], row["LIBELLE"], row["DEP"])
        for row in read_csv(cog_dir / "communes.csv", ["TYPECOM", "COM", "DEP", "LIBELLE"])
        if row["TYPECOM"] == "COM"
    ]
    check_rows("regions.csv", regions, {FRANCE})
    check_rows("departements.csv", departements, {row.code for row in regions})
    check_rows("communes.csv", communes, {row.code for row in departements})
    return Cog(regions, departements, communes)


def check_rows(file_name, rows, parent_codes):
    if not rows:
        raise CogError(f"{file_name} has no rows to import.")
    codes = set()
    for row in rows:
        if not row.code or not row.name:
            raise CogError(f"{file_name}: a row has no code or no LIBELLE ({row}).")
        if row.code in codes:
            raise CogError(f"{file_name}: the code {row.code} appears twice.")
        if row.parent_code not in parent_codes:
            raise CogError(
                f"{file_name}: {row.name} ({row.code}) belongs to {row.parent_code!r}, "
                "which is not in the file above it."
            )
        codes.add(row.code)


@dataclass(frozen=True)
class Counts:
    created: int
    updated: int
    unchanged: int
    moved_along: int


class TerritoryImport:
    """One import, level by level from the country down, creating each level in bulk.

    All territories are loaded once (about 35,000 rows, a fraction of a second): the taken
    slugs must be known to pick free ones, and a territory moved to another parent changes the
    path of everything below it, including territories that are not in the files.
    """

    def __init__(self):
        self.existing = list(Territory.objects.order_by())
        self.before = {t.pk: (t.name, t.parent_id, t.path, t.depth) for t in self.existing}
        self.by_code = {(t.kind, t.code): t for t in self.existing if t.country == FRANCE}
        self.by_slug = {t.slug: t for t in self.existing}
        self.imported = set()

    def run(self, cog):
        """Import the files; return how many territories were created, updated, unchanged.

        Territories outside the files whose path changed because an ancestor moved are
        counted apart, as moved along.
        """
        france = self.place(Kind.COUNTRY, FRANCE, "France", None, [FRANCE_SLUG])
        created = self.create([france])
        parents = {FRANCE: france}
        for kind, rows in [
            (Kind.REGION, cog.regions),
            (Kind.DEPARTEMENT, cog.departements),
            (Kind.COMMUNE, cog.communes),
        ]:
            level = {}
            for row in rows:
                if kind == Kind.COMMUNE:
                    slugs = [commune_slug(row.name, row.code)]
                else:
                    slugs = slug_choices(row.name, row.code)
                parent = parents[row.parent_code]
                level[row.code] = self.place(kind, row.code, row.name, parent, slugs)
            created += self.create(level.values())
            parents = level
        changed = self.save_changes()
        if created or changed:
            # One refresh for the whole import, at its commit (initiatives/freshness.py).
            directory_changed(self.initiatives_naming(changed))
        updated = len(changed & self.imported)
        return Counts(
            created, updated, len(self.imported) - created - updated, len(changed) - updated
        )

    def place(self, kind, code, name, parent, slugs):
        """The territory with this code, new or existing, named and placed as the files say."""
        territory = self.by_code.get((kind, code))
        if territory is None:
            territory = Territory(kind=kind, code=code, country=FRANCE, slug=self.free_slug(slugs))
            self.by_slug[territory.slug] = territory
        territory.name = name
        territory.search_name = place_key(name)
        territory.parent = parent
        set_path(territory, parent)
        return territory

    def free_slug(self, choices):
        for slug in choices:
            if slug not in self.by_slug:
                return slug
        other = self.by_slug[choices[-1]]
        raise CogError(
            f"The slug {choices[-1]!r} is already used by {other.name} ({other.kind}, "
            f"code {other.code or 'none'}). Give that territory its official code or another "
            "slug, then run the import again."
        )

    def create(self, territories):
        territories = list(territories)
        new = [t for t in territories if t.pk is None]
        # bulk_create skips save(): place() has already set path and depth.
        Territory.objects.bulk_create(new, batch_size=BATCH_SIZE)
        self.imported.update(t.pk for t in territories)
        return len(new)

    def save_changes(self):
        """Write the existing rows whose name, parent or path changed; return their ids."""
        by_pk = {t.pk: t for t in self.existing}
        for territory in self.existing:
            if territory.pk not in self.imported:
                self.follow_parent(territory, by_pk)
        changed = [
            t for t in self.existing if (t.name, t.parent_id, t.path, t.depth) != self.before[t.pk]
        ]
        Territory.objects.bulk_update(
            changed, ["name", "search_name", "parent", "path", "depth"], batch_size=BATCH_SIZE
        )
        # In the history: the places the import renamed or moved. Those it creates from the
        # official files have their history start at their first change.
        for territory in changed:
            reversion.add_to_revision(territory)
        return {t.pk for t in changed}

    def initiatives_naming(self, changed_pks):
        """The initiatives whose search documents hold the name of a renamed or moved place."""
        if not changed_pks:
            return []
        changed = [t for t in self.existing if t.pk in changed_pks]
        places = Q(action_territories__in=changed) | Q(commune__in=changed)
        for territory in changed:
            if territory.kind != Kind.COMMUNE:
                places |= Q(commune__path__startswith=territory.path)
        return Initiative.objects.filter(places).values_list("pk", flat=True).distinct()

    def follow_parent(self, territory, by_pk):
        """Recompute the path of a territory outside the files, below a possibly moved one."""
        parent = by_pk.get(territory.parent_id)
        if parent is not None and parent.pk not in self.imported:
            self.follow_parent(parent, by_pk)
        set_path(territory, parent)


def set_path(territory, parent):
    # What Territory.save() does, which bulk_create and bulk_update do not call.
    territory.path = Territory.path_below(parent, territory.slug)
    territory.depth = territory.path.count("/") - 1
