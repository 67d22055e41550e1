"""Finding an imported initiative's commune, in memory once per import.

In turn: the commune's INSEE code; its name within the département its postal code gives
("75017 PARIS 17" is Paris; accents and "St"/"Saint" do not matter, search.place_key); its
name within the département its point lies in, by point-in-polygon on the imported boundaries
(import_boundaries); the commune its point lies in, where communes' boundaries were imported;
its name alone, if only one commune of France bears it. A point far outside its commune's
département is reported.
"""

import csv
import functools
import gzip
import re
from collections import namedtuple

from django.utils.translation import gettext as _

from initiatives.models import (
    BOUNDARY_TOLERANCE,
    Territory,
    TerritoryBoundary,
    departement_of_commune_code,
)
from initiatives.search import place_key
from initiatives.territories import SHIPPED_COG

# Paris, Lyon and Marseille are written with their arrondissement: "PARIS 13", "Lyon 3e",
# "PARIS-11E-ARRONDISSEMENT".
ARRONDISSEMENT = re.compile(r"^(paris|lyon|marseille)( \d+(e|er|eme)?)?( arrondissement)?$")
CEDEX = re.compile(r" cedex( \d+)?$")


# A commune as the finder knows it: light, for the 35,000 of France.
Place = namedtuple("Place", "pk code name search_name")


class PlaceFinder:
    def __init__(self):
        communes = Territory.objects.filter(kind=Territory.Kind.COMMUNE, country="FR").values_list(
            "pk", "code", "name", "search_name", named=False
        )
        communes = [Place(*values) for values in communes]
        self.by_code = {}
        self.by_departement = {}
        self.by_name = {}
        for commune in communes:
            self.by_code[commune.code] = commune
            departement = departement_of_commune_code(commune.code)
            self.by_departement.setdefault((departement, commune.search_name), []).append(commune)
            self.by_name.setdefault(commune.search_name, []).append(commune)
        self.boundaries = Boundaries()
        # Communes déléguées and associées (a former commune, merged since) and arrondissements
        # are not territories of their own: their name finds the commune they belong to.
        for departement, key, parent in parts_of_communes():
            if parent in self.by_code and (departement, key) not in self.by_departement:
                self.by_departement[(departement, key)] = [self.by_code[parent]]

    def find(self, insee_code="", postal_code="", name="", point=None):
        """(the commune, a Place, or None; [warnings])."""
        warnings = []
        commune = self.by_code.get(str(insee_code or "").strip())
        key = name_key(name)
        if commune is None:
            for departement in departements_of_postal_code(postal_code):
                commune = self.in_departement(departement, key)
                if commune:
                    break
        if commune is None and point:
            departement = self.boundaries.departement_at(point)
            if departement:
                commune = self.in_departement(departement, key)
            if commune is None:
                commune = self.boundaries.commune_at(point)
        if commune is None and key:
            commune = unique(self.by_name.get(key))
        if commune is None and (insee_code or postal_code or name):
            warnings.append(
                _("No commune found for “%(place)s”.")
                % {"place": " ".join(str(part) for part in (insee_code, postal_code, name) if part)}
            )
        if commune is not None and point:
            departement = departement_of_commune_code(commune.code)
            if self.boundaries.is_far_outside(point, departement):
                warnings.append(
                    _("The point lies far outside the département of %(commune)s (%(code)s).")
                    % {"commune": commune.name, "code": departement}
                )
        return commune, warnings

    def in_departement(self, departement, key):
        """The commune of this département with this name, or whose name goes on from it
        ("saint ouen" for Saint-Ouen-sur-Seine), if only one does; failing that, the
        département's only commune (Paris)."""
        communes = self.communes_of(departement)
        found = unique(self.by_departement.get((departement, key))) if key else None
        if found is None and key:
            found = unique([c for c in communes if c.search_name.startswith(key + " ")])
        return found or unique(communes)

    def communes_of(self, departement):
        if not hasattr(self, "by_departement_only"):
            self.by_departement_only = {}
            for commune in self.by_code.values():
                code = departement_of_commune_code(commune.code)
                self.by_departement_only.setdefault(code, []).append(commune)
        return self.by_departement_only.get(departement, [])


@functools.cache
def parts_of_communes():
    """[(département, name key, parent commune's code)] of the communes déléguées, associées
    and arrondissements of the shipped COG (read once per process)."""
    path = SHIPPED_COG / "communes.csv.gz"
    if not path.is_file():
        return []
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as file:
        # Their DEP column is empty in the COG: their parent commune's code says it.
        return [
            (
                departement_of_commune_code(row["COMPARENT"]),
                place_key(row["LIBELLE"]),
                row["COMPARENT"],
            )
            for row in csv.DictReader(file)
            if row["TYPECOM"] != "COM" and row["COMPARENT"]
        ]


def name_key(name):
    """A commune's name as written in an address, as place_key writes it: without a cedex or
    an arrondissement, or what follows a comma ("Paris, Ile de France")."""
    key = CEDEX.sub("", place_key(str(name or "").split(",")[0]))
    match = ARRONDISSEMENT.match(key)
    return match.group(1) if match else key


def departements_of_postal_code(postal_code):
    """The départements a French postal code may belong to: 62700 -> 62, 97400 -> 974,
    20000 -> 2A or 2B. Postal codes do not follow départements exactly near their edges: the
    commune's name decides within them."""
    code = re.sub(r"\D", "", str(postal_code or ""))
    if len(code) != 5:
        return []
    if code.startswith("97"):
        return [code[:3]]
    if code.startswith("20"):
        return ["2A", "2B"]
    return [code[:2]]


def unique(communes):
    return communes[0] if communes and len(communes) == 1 else None


class Boundaries:
    """The outlines of départements and communes imported with import_boundaries."""

    def __init__(self):
        self.departements = self.load(Territory.Kind.DEPARTEMENT)
        self.communes = self.load(Territory.Kind.COMMUNE)

    @staticmethod
    def load(kind):
        from shapely import STRtree
        from shapely.geometry import shape

        rows = TerritoryBoundary.objects.filter(territory__kind=kind).select_related("territory")
        loaded = [
            (
                Place(row.territory.pk, row.territory.code, row.territory.name, ""),
                shape(row.geometry),
            )
            for row in rows
        ]
        if not loaded:
            return None
        territories, shapes = zip(*loaded, strict=True)
        return territories, shapes, STRtree(shapes)

    def territory_at(self, boundaries, point):
        from shapely.geometry import Point

        if boundaries is None:
            return None
        territories, shapes, tree = boundaries
        here = Point(point[1], point[0])
        for index in tree.query(here, predicate="within"):
            return territories[index]
        return None

    def departement_at(self, point):
        departement = self.territory_at(self.departements, point)
        return departement.code if departement else None

    def commune_at(self, point):
        return self.territory_at(self.communes, point)

    def is_far_outside(self, point, departement_code):
        from shapely.geometry import Point

        if self.departements is None:
            return False
        territories, shapes, _tree = self.departements
        for territory, outline in zip(territories, shapes, strict=True):
            if territory.code == departement_code:
                return outline.distance(Point(point[1], point[0])) > BOUNDARY_TOLERANCE
        return False
