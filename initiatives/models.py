import datetime
import difflib
import hashlib
import math
import secrets
import time

import reversion
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField, TrigramSimilarity
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models, transaction
from django.db.models import Avg, CheckConstraint, Count, F, Max, Min, Q
from django.db.models.functions import Coalesce, Concat, Floor, Now, StrIndex, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import freshness, search
from .images import WithImage
from .links import website_key

# A point this far outside its département's outline (in degrees, about 5 km) is flagged.
BOUNDARY_TOLERANCE = 0.05
# Two initiatives whose names' words are this similar (difflib's ratio) may be the same; on
# PostgreSQL, whose names have this trigram similarity (pg_trgm's similarity()).
SIMILAR_NAMES = 0.75
SIMILAR_TRIGRAMS = 0.4
# A proposal's possible duplicates: so far around its point, among so many candidates.
DUPLICATE_KILOMETRES = 3
DUPLICATE_CANDIDATES = 500
LATITUDE_VALIDATORS = [MinValueValidator(-90), MaxValueValidator(90)]
LONGITUDE_VALIDATORS = [MinValueValidator(-180), MaxValueValidator(180)]


def coordinate_constraints(prefix):
    """Both coordinates or neither, each within its range."""
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=f"{prefix}_point_complete",
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            name=f"{prefix}_longitude_range",
        ),
    ]


class ValidatedOnce:
    """For models saved through forms, whose check constraints are all mirrored by field
    validators and clean(): Django's model validation would repeat work at a query each.

    - Every CheckConstraint is validated by a query of its own, inside a savepoint in a
      transaction: three queries per constraint, fifteen per involvement row of the
      initiative form. The mirrors give readable messages; the database still enforces the
      constraints on every write. Unique constraints are still validated.
    - A foreign key holding an object read from the database exists: the form field has just
      read it, and Django would query it again.
    """

    def get_constraints(self):
        return [
            (model, [c for c in constraints if not isinstance(c, CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    def clean_fields(self, exclude=None):
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if field.many_to_one and field.is_cached(self):
                related = field.get_cached_value(self)
                if related is not None and not related._state.adding:
                    exclude.add(field.name)
        super().clean_fields(exclude)


class RemembersLoadedValues:
    """Keeps the values a row had when it was read or last saved, to tell what a save
    changes."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance.loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The receivers of the save have compared with the old values: these are the new ones.
        deferred = self.get_deferred_fields()
        self.loaded_values = {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname not in deferred
        }

    def has_changed(self, *fields):
        """Whether one of these fields differs from the row as it was read or last saved
        (True for a row never read nor saved, or about to be deleted)."""
        loaded = getattr(self, "loaded_values", {})
        return any(field not in loaded or loaded[field] != getattr(self, field) for field in fields)

    def forget_loaded_values(self):
        """From now on, every field counts as changed: the row is deleted or replaced."""
        self.loaded_values = {}


class DirectoryVersion(models.Model):
    """One row: a number bumped once per committed transaction that changes what the public
    sees (initiatives/freshness.py). The map's ETag and the cache keys read it, a primary-key
    lookup instead of a scan of the initiatives."""

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return str(self.number)

    @classmethod
    def read(cls, using="default"):
        """{"number": the version, "published": how many initiatives are published (the
        stored count, initiatives/counts.py)}, in one query: a request that reads the
        version for its cache keys learns the directory's size with it."""
        published = FacetCount.objects.using(using).filter(facet="all", value="").values("count")
        row = (
            cls.objects.using(using)
            .filter(pk=1)
            .values("number", published=models.Subquery(published[:1]))
            .first()
        )
        return {"number": 0, "published": None, **(row or {})}

    @classmethod
    def bump(cls, using="default"):
        if not cls.objects.using(using).filter(pk=1).update(number=F("number") + 1):
            # The row is gone (`manage.py flush`): start again from a number never used, so
            # that no client's ETag for the old data matches.
            cls.objects.using(using).get_or_create(
                pk=1, defaults={"number": time.time_ns() // 1000}
            )


class LegalNotice(models.Model):
    """The legal notice ("mentions légales"), and what the privacy page says of who answers
    for the data: one row, which the instance completes in the admin; a first text comes
    with the migrations."""

    text = models.TextField(
        _("text"),
        help_text=_("Who publishes the site, who is responsible for it, who hosts it."),
    )
    privacy_contact = models.TextField(
        _("who answers for personal data"),
        blank=True,
        help_text=_(
            "Shown on the privacy page: the data controller, its data protection officer and "
            "how to reach them."
        ),
    )

    class Meta:
        verbose_name = _("legal notice")
        verbose_name_plural = _("legal notice")

    def __str__(self):
        return str(self._meta.verbose_name)


class FacetCount(models.Model):
    """How many published initiatives have one facet value: a stage, a theme, a territory, an
    actor... (initiatives/counts.py). Kept up to date by the write path, so that counting the
    whole published directory reads a few rows instead of every initiative."""

    facet = models.CharField(max_length=20)
    value = models.CharField(max_length=700)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # One row per facet value; also the index every read goes through.
            models.UniqueConstraint(fields=["facet", "value"], name="facet_count_unique"),
        ]
        indexes = [
            # The most involved actors, without reading every actor's row.
            models.Index(fields=["facet", "-count"], name="facet_count_largest"),
        ]

    def __str__(self):
        return f"{self.facet}:{self.value} = {self.count}"


# An initiative's sample slot is its id modulo SAMPLE_SLOTS: each slot holds one initiative in
# SAMPLE_SLOTS, spread evenly over the directory's history. A filtered list counts a large
# result from the initiatives of its first slots (counts.tally()).
SAMPLE_SLOTS = 4096


class CountedInitiative(models.Model):
    """The facet values an initiative was counted under in FacetCount, so that a change is
    counted as the difference between what was counted and what now is. A plain integer,
    not a foreign key: the row outlives a deleted initiative until its count is taken back."""

    initiative_id = models.BigIntegerField(primary_key=True)
    keys = models.JSONField()

    def __str__(self):
        return str(self.initiative_id)


# One square of the map's grid is about the size of a cluster icon and a half on screen.
CELL_PIXELS = 60


def cell_size(zoom):
    """The side of a square of the map's grid, in degrees, at this zoom (256 px tiles, 360° at
    zoom 0)."""
    return 360 / (256 * 2**zoom) * CELL_PIXELS


def points_and_bounds():
    """Aggregates of a group of points: `count` and bounds (`west`, `south`, `east`, `north`)."""
    return {
        # COUNT(*), not COUNT(id): the map's index then holds every column needed.
        "count": Count("*"),
        "west": Min("longitude"),
        "south": Min("latitude"),
        "east": Max("longitude"),
        "north": Max("latitude"),
    }


def card_themes():
    """The themes an initiative card shows, to prefetch."""
    return models.Prefetch("themes", queryset=Theme.objects.only("name", "name_en", "slug"))


class MapCell(models.Model):
    """The published initiatives with a point in one square of the map's grid at zoom ZOOM
    (about 18 km wide): how many, the sums of their coordinates and their bounds. Kept up to
    date by the write path (initiatives/counts.py), so that the map groups these squares for
    every zoom up to ZOOM instead of grouping every point of the view (initiatives/map.py)."""

    ZOOM = 9

    # The square's column and row on the grid: floor(longitude / side), floor(latitude / side).
    x = models.IntegerField()
    y = models.IntegerField()
    count = models.PositiveIntegerField()
    sum_longitude = models.FloatField()
    sum_latitude = models.FloatField()
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()

    class Meta:
        constraints = [
            # One row per square; also the index through which the map reads a view's squares.
            models.UniqueConstraint(fields=["x", "y"], name="map_cell_unique"),
        ]

    def __str__(self):
        return f"({self.x}, {self.y}) = {self.count}"

    @classmethod
    def index_of(cls, degrees):
        """The column of a longitude, or the row of a latitude, on this grid."""
        return math.floor(degrees / cell_size(cls.ZOOM))


def departement_of_commune_code(code):
    """A French commune's département from its INSEE code: 62178 -> 62, 2A004 -> 2A,
    97411 -> 974."""
    return code[:3] if code.startswith("97") else code[:2]


class TerritoryQuerySet(models.QuerySet):
    def subtree_of(self, territory):
        """The territory and everything below it, in one indexed prefix query."""
        return self.filter(path__startswith=territory.path)

    def named_like(self, text):
        """Territories whose name, as people type it (search.place_key), starts with this
        text, or whose code does: one prefix match on an index."""
        key = search.place_key(text)
        if not key:
            return self.none()
        return self.filter(Q(search_name__startswith=key) | Q(code__startswith=text.strip()))

    def ancestors_of(self, territory):
        """The territory's ancestors and itself, from the root down."""
        return self.filter(path__in=territory.ancestor_paths()).order_by("depth")

    def around(self, initiative):
        """(the territories holding the initiative's commune, the commune first and the
        countries left out; the territories where it also acts, by name): one query."""
        above = initiative.commune.ancestor_paths() if initiative.commune_id else []
        acting = Initiative.action_territories.through.objects.filter(initiative=initiative)
        rows = self.filter(
            Q(path__in=above, depth__gte=1) | Q(pk__in=acting.values("territory"))
        ).annotate(acting=models.Exists(acting.filter(territory=models.OuterRef("pk"))))
        rows = list(rows.order_by("name"))
        places = sorted(
            (territory for territory in rows if territory.path in above and territory.depth),
            key=lambda territory: -territory.depth,
        )
        return places, [territory for territory in rows if territory.acting]

    def countries(self):
        """The countries, those of settings.COUNTRY_ORDER first in its order, then by name."""
        first = [
            models.When(country=code, then=models.Value(position))
            for position, code in enumerate(settings.COUNTRY_ORDER)
        ]
        return self.filter(depth=0).order_by(
            models.Case(*first, default=models.Value(len(first))), "name"
        )

    def grouped_by_country(self, region_counts, every_country=False):
        """[(country, [(region, count)])] for [(region, count)] one level below the
        countries, in the order of countries(): the countries holding some of these régions,
        or all of them. One query."""
        by_country = {}
        for region, count in region_counts:
            by_country.setdefault(region.parent_id, []).append((region, count))
        countries = self.countries()
        if not every_country:
            countries = countries.filter(pk__in=by_country)
        return [(country, by_country.get(country.pk, [])) for country in countries]


class TerritoryKind(models.TextChoices):
    COUNTRY = "country", _("country")
    REGION = "region", _("région")
    DEPARTEMENT = "departement", _("département")
    COMMUNE = "commune", _("commune")
    PROVINCE = "province", _("province")
    ADMINISTRATIVE_REGION = "administrative_region", _("administrative region")
    MRC = "mrc", _("MRC")
    MUNICIPALITY = "municipality", _("municipality")
    STATE = "state", _("state")


# The territories an initiative is located in: France's communes, Québec's municipalities...
COMMUNE_KINDS = [TerritoryKind.COMMUNE, TerritoryKind.MUNICIPALITY]


@reversion.register()
class Territory(RemembersLoadedValues, models.Model):
    Kind = TerritoryKind

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    code = models.CharField(
        _("official code"),
        max_length=20,
        blank=True,
        help_text=_("INSEE code in France (e.g. 62178), geographic code elsewhere."),
    )
    country = models.CharField(
        _("country code"), max_length=2, help_text=_("ISO 3166-1 alpha-2, e.g. FR, CA, BR.")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    # The name as people type it (search.place_key), for the commune autocomplete's prefix
    # search and the imports' matching.
    search_name = models.CharField(max_length=200, editable=False, default="")
    # Materialised path of slugs ("france/hauts-de-france/pas-de-calais/"): a subtree is
    # one prefix match on an index, whatever its depth.
    path = models.CharField(max_length=700, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]
        constraints = [
            # An official code identifies one territory of a kind within a country.
            models.UniqueConstraint(
                fields=["country", "kind", "code"],
                condition=~Q(code=""),
                name="territory_unique_code",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="territory_not_own_parent"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=TerritoryKind.values), name="territory_kind_valid"
            ),
            *coordinate_constraints("territory"),
        ]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' in any collation.
            models.Index(fields=["path"], name="territory_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "name"], name="territory_children"),
            models.Index(fields=["kind", "name"], name="territory_kind_name"),
            # The régions, provinces and states (depth 1) that every list and map page counts:
            # without it, a pass over the 35,000 communes (12 ms).
            models.Index(fields=["depth"], name="territory_depth"),
            # "saint den" -> Saint-Denis, Saint-Denis-de-Pile...: a prefix match on an index;
            # "930" -> the communes of Seine-Saint-Denis by their INSEE codes, another.
            models.Index(
                fields=["search_name"],
                name="territory_search_name",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["code"], name="territory_code", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        self.search_name = search.place_key(self.name)
        self.path = self.computed_path()
        self.depth = self.path.count("/") - 1
        with transaction.atomic():
            # Descendants first: what the save announces (freshness) is read below the new path.
            if old_path and old_path != self.path:
                self.move_descendants(old_path)
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("territory_detail", args=[self.slug])

    def autocomplete_label(self):
        """A commune named so as to tell it from its namesakes: "Saint-Denis (93) — 93066"."""
        if self.kind == self.Kind.COMMUNE and self.country == "FR" and self.code:
            return f"{self.name} ({departement_of_commune_code(self.code)}) — {self.code}"
        return self.name

    def clean(self):
        if self.parent_id and self.pk and self.parent.path.startswith(self.path or "\0"):
            raise ValidationError({"parent": _("A territory cannot be placed inside itself.")})

    def ancestors(self):
        """Its ancestors from the root down, itself left out: from the cache while the
        directory has not changed, for the filters, which name them at every request of a
        list or map filtered on it (a move bumps the version)."""
        return freshness.cached(
            f"ancestors:{self.path}",
            lambda: list(Territory.objects.ancestors_of(self).exclude(pk=self.pk)),
        )

    def ancestor_paths(self):
        segments = self.path.rstrip("/").split("/")
        return ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]

    def computed_path(self):
        return self.path_below(self.parent, self.slug)

    @staticmethod
    def path_below(parent, slug):
        """The materialised path of a territory with this slug under this parent (or None)."""
        return (parent.path if parent else "") + slug + "/"

    def place_in_tree_before_raw_save(self, using):
        """For a raw save (a restored version, loaddata), which skips save(): the path from
        the parent, and the territories below moved along if it changed. Two queries."""
        parent_path = (
            Territory._base_manager.using(using)
            .filter(pk=self.parent_id)
            .values_list("path", flat=True)
            .first()
        )
        self.search_name = search.place_key(self.name)
        if self.parent_id and parent_path is None:
            return  # A fixture whose parent comes later: its own path stands.
        self.path = (parent_path or "") + self.slug + "/"
        self.depth = self.path.count("/") - 1
        current = (
            Territory._base_manager.using(using)
            .filter(pk=self.pk)
            .values_list("path", flat=True)
            .first()
        )
        if current and current != self.path:
            self.move_descendants(current)

    def named_initiatives(self):
        """The initiatives whose search documents hold this place's name: located below it or
        acting in it (initiatives/freshness.py asks after a rename or a move)."""
        if not self.has_changed("name", "path"):
            return []
        return Initiative.objects.filter(
            Q(commune__path__startswith=self.path) | Q(action_territories=self)
        ).values_list("pk", flat=True)

    def move_descendants(self, old_path):
        """Rewrite the paths below this territory after it was renamed or moved."""
        descendants = Territory.objects.filter(path__startswith=old_path).exclude(pk=self.pk)
        descendants.update(
            path=Concat(models.Value(self.path), Substr("path", len(old_path) + 1)),
            depth=models.F("depth") + (self.path.count("/") - old_path.count("/")),
        )


class ThemeQuerySet(models.QuerySet):
    def family_of(self, slugs):
        """These themes and their sub-themes: a parent theme includes its children."""
        if isinstance(slugs, str):
            slugs = [slugs]
        return self.filter(Q(slug__in=slugs) | Q(parent__slug__in=slugs))

    def top_level(self):
        return self.filter(parent__isnull=True)

    def with_counts(self, tally=None, every_theme=None):
        """The top-level themes, each with `count` and `subthemes` (each with its `count`).

        A top-level theme counts the initiatives of its whole family, each once. From the
        stored counts of the published directory, or from a Tally of some initiatives
        (initiatives/counts.py), counted over `every_theme` when the caller read them (by
        position and name). One query, none for a tally over themes already read.
        """
        from . import counts  # which imports this module

        if tally is None:
            themes = list(counts.theme_counts(self).order_by("position", "name"))
            family_counts = {theme.pk: theme.family_count for theme in themes}
        else:
            themes = every_theme if every_theme is not None else self.order_by("position", "name")
            themes = list(themes)
            for theme in themes:
                theme.count = tally[f"theme:{theme.pk}"]
            family_counts = {theme.pk: tally[f"family:{theme.pk}"] for theme in themes}
        top_level = [theme for theme in themes if theme.parent_id is None]
        by_pk = {theme.pk: theme for theme in top_level}
        for theme in top_level:
            theme.count = family_counts.get(theme.pk, 0)
            theme.subthemes = []
        for theme in themes:
            if theme.parent_id in by_pk:
                by_pk[theme.parent_id].subthemes.append(theme)
        return top_level


@reversion.register()
class Theme(RemembersLoadedValues, models.Model):
    name = models.CharField(_("name"), max_length=120)
    # The site is in French and English (settings.LANGUAGES): the English pages show this
    # name when it is given, the French one otherwise.
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent theme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    description = models.TextField(_("description"), blank=True)
    color = models.CharField(
        _("map colour"),
        max_length=7,
        default="#2b6cb0",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour like #2b6cb0."))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="theme_not_own_parent"
            ),
        ]

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} › {self.name}"
        return self.name

    def get_absolute_url(self):
        return reverse("theme_detail", args=[self.slug])

    @property
    def display_name(self):
        """The name in the language of the page."""
        return self.name_en if self.name_en and get_language() == "en" else self.name

    def named_initiatives(self):
        """The initiatives whose search documents hold this theme's name or whose counts
        follow its family: its own and, for a top-level theme, its sub-themes' (after a
        rename or a move; initiatives/freshness.py asks)."""
        if not self.has_changed("name", "parent_id"):
            return []
        return Initiative.objects.filter(Q(themes=self) | Q(themes__parent=self.pk)).values_list(
            "pk", flat=True
        )

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("Themes have two levels: pick a top-level theme.")})
        if self.parent_id and self.pk and self.children.exists():
            raise ValidationError(
                {"parent": _("This theme has sub-themes, so it must stay at the top level.")}
            )


# How many of the latest initiatives sharing a theme, and in the département, an initiative's
# related initiatives are chosen from (InitiativeQuerySet.related_to).
RELATED_CANDIDATES = 200


class InitiativeQuerySet(models.QuerySet):
    def published(self):
        """The one definition of what the public may see."""
        return self.filter(status=Initiative.Status.PUBLISHED)

    def is_published_directory(self):
        """Whether this selects exactly the published initiatives, whatever it annotates,
        prefetches or orders: then its counts may be read from initiatives/counts.py."""
        query = self.query
        return (
            self.db == "default"
            and not query.is_sliced
            and not query.combinator
            and query.where == Initiative.objects.published().query.where
        )

    def located_in(self, territory):
        return self.filter(commune__path__startswith=territory.path)

    def by_reference(self, references):
        """{reference: initiative} for references that are slugs or `source:identifier`
        (see SourceIdentifier); unknown references are left out. Two queries at most."""
        found = self.in_bulk([ref for ref in references if ":" not in ref], field_name="slug")
        pairs = {tuple(ref.split(":", 1)) for ref in references if ":" in ref}
        if pairs:
            records = SourceIdentifier.objects.filter(
                source__in={source for source, _identifier in pairs},
                identifier__in={identifier for _source, identifier in pairs},
                initiative__in=self,
            ).select_related("initiative")
            # source__in × identifier__in also matches pairs nobody asked for: keep the asked.
            found.update(
                (record.reference, record.initiative)
                for record in records
                if record.reference in references
            )
        return found

    def acting_in(self, territory):
        """Initiatives whose territories of action cover this territory, above or below it."""
        return self.filter(
            Q(action_territories__path__in=territory.ancestor_paths())
            | Q(action_territories__path__startswith=territory.path)
        ).distinct()

    def listed_for(self, user, status=None):
        """What a list shows: published initiatives, or the archived ones when a curator asks."""
        if status == Initiative.Status.ARCHIVED and is_curator(user):
            return self.filter(status=Initiative.Status.ARCHIVED)
        return self.published()

    def visible_to(self, user):
        """What a detail page shows: published initiatives; to curators every one they curate,
        so that they preview a draft or a proposal as it would be published (under a banner)."""
        if not is_curator(user):
            return self.published()
        if curated_paths(user) is None:
            return self.all()
        return self.filter(
            Q(status=Initiative.Status.PUBLISHED) | Q(pk__in=self.curated_by(user).values("pk"))
        )

    def curated_by(self, user):
        """The initiatives this curator may manage: those located or acting in their
        territories' subtrees (curated_paths), or all of them."""
        paths = curated_paths(user)
        if paths is None:
            return self
        located, acting = Q(), Q()
        for path in paths:
            located |= Q(commune__path__startswith=path)
            acting |= Q(action_territories__path__startswith=path)
        return self.filter(located | Q(pk__in=Initiative.objects.filter(acting).values("pk")))

    def search(self, text, typos=None):
        """Initiatives matching a visitor's words, best first (see initiatives/search.py)."""
        return search.search(self, text, typos)

    def suggested_search(self, text):
        """Words close to the text's that these initiatives hold, when a search for it found
        nothing, or None. On SQLite only: PostgreSQL's search finds similar words itself. The
        vocabulary is read once per version of the directory."""
        if connections[self.db].vendor == "postgresql":
            return None
        scope = hashlib.sha256(str(self.query).encode()).hexdigest()
        words = freshness.cached(f"vocabulary:{scope}", lambda: search.vocabulary(self))
        return search.suggested_search(text, words)

    def with_card_data(self):
        """What an initiative card shows: the commune and the themes (one more query)."""
        return self.with_card_fields().prefetch_related(card_themes())

    def with_card_fields(self):
        """with_card_data() but the themes, for cards of several lists whose themes are read
        at once (prefetch_related_objects(cards, card_themes()))."""
        return self.select_related("commune").defer(*Initiative.LONG_TEXT_FIELDS)

    def count_by_subterritory(self, territory=None):
        """[(territory, count)] one level below `territory`, largest count first.

        Below the countries (régions, provinces, states) when `territory` is None. Only the
        territories holding some of these initiatives' communes; two queries: the counts
        grouped on the prefix of the communes' paths, then the territories' names. One query
        for the published directory, from the stored counts (initiatives/counts.py).
        """
        from . import counts  # which imports this module

        if self.is_published_directory():
            return counts.children_with_counts(territory)
        path = models.F("commune__path")
        if territory is None:
            located = self.filter(commune__isnull=False)
            prefix_length = StrIndex(path, models.Value("/"))
        else:
            located = self.located_in(territory)
            prefix_length = models.Value(len(territory.path))
        rest = Substr(path, prefix_length + 1)
        counts = dict(
            located.annotate(
                child_path=Substr(path, 1, prefix_length + StrIndex(rest, models.Value("/")))
            )
            .order_by()
            .values_list("child_path")
            .annotate(count=models.Count("pk"))
        )
        counts.pop(territory.path if territory else None, None)
        territories = Territory.objects.filter(path__in=counts, depth__gte=1)
        return sorted(
            ((child, counts[child.path]) for child in territories),
            key=lambda item: (-item[1], item[0].name),
        )

    def related_to(self, initiative, themes, limit=6):
        """[Other initiatives sharing themes], most shared themes first, completed with others of
        the département when fewer than `limit` share one.

        Chosen among the latest RELATED_CANDIDATES initiatives sharing a theme, so that the
        cost does not grow with the directory: the index of the initiatives' themes is read
        backwards and stops there. One query, two when the département completes them.
        """
        others = self.exclude(pk=initiative.pk).select_related("commune")
        others = others.defer(*Initiative.LONG_TEXT_FIELDS)
        sharing = (
            Initiative.themes.through.objects.filter(theme__in=themes)
            .order_by("-initiative_id")
            .values("initiative_id")[:RELATED_CANDIDATES]
        )
        shared = models.Count("themes", filter=Q(themes__in=themes), distinct=True)
        related = list(
            others.filter(pk__in=sharing)
            .annotate(shared_themes=shared)
            .order_by("-shared_themes", "name")[:limit]
        )
        if len(related) < limit and initiative.commune_id and initiative.commune.depth >= 2:
            departement = "/".join(initiative.commune.path.split("/")[:3]) + "/"
            related += (
                others.filter(commune__path__startswith=departement)
                .exclude(pk__in=[other.pk for other in related])
                .order_by("-pk")[: limit - len(related)]
            )
        return related

    def with_point(self):
        return self.filter(latitude__isnull=False)

    def without_point(self):
        # Both coordinates or neither (a constraint): longitude leads the map's index.
        return self.filter(longitude__isnull=True)

    def count_points(self):
        """(how many have a point, how many have none). One query, which reads the stored
        counts (initiatives/counts.py) for the published directory."""
        from . import counts  # which imports this module

        if self.is_published_directory():
            return counts.points_counted()
        totals = self.order_by().aggregate(
            located=Count("pk", filter=Q(longitude__isnull=False)),
            unlocated=Count("pk", filter=Q(longitude__isnull=True)),
        )
        return totals["located"], totals["unlocated"]

    def in_bbox(self, west, south, east, north):
        """Initiatives with a point in the box; west > east means the box crosses longitude 180."""
        if west <= east:
            longitude = Q(longitude__gte=west, longitude__lte=east)
        else:
            longitude = Q(longitude__gte=west) | Q(longitude__lte=east)
        return self.filter(longitude, latitude__gte=south, latitude__lte=north)

    def on_grid(self, cell_size):
        """Annotate `cell`, one number per square of `cell_size` degrees (for map clustering)."""
        cells_per_column = 2 * math.ceil(90 / cell_size) + 2
        return self.annotate(
            cell=Floor(F("longitude") / cell_size) * cells_per_column
            + Floor(F("latitude") / cell_size)
        )

    def grid_cells(self, cell_size):
        """One row per grid cell holding points: `cell`, `count`, centroid (`center_longitude`,
        `center_latitude`) and bounds (`west`, `south`, `east`, `north`), grouped in the
        database: a single query however many initiatives match."""
        return (
            self.with_point()
            .on_grid(cell_size)
            .order_by()
            .values("cell")
            .annotate(
                center_longitude=Avg("longitude"),
                center_latitude=Avg("latitude"),
                **points_and_bounds(),
            )
        )

    def stale(self):
        """Published initiatives not updated for STALE_AFTER_DAYS: curators should review them."""
        limit = timezone.now() - datetime.timedelta(days=settings.STALE_AFTER_DAYS)
        return self.published().filter(updated_at__lt=limit)

    # These bulk changes of status leave updated_at alone: it dates the initiative's content
    # (a save of the whole form, status included, does move it).
    def publish(self):
        with transaction.atomic(using=self.db):
            # A proposal is published with its initiative, whichever way a curator publishes.
            Proposal.objects.using(self.db).filter(
                initiative__in=self.order_by().values("pk"), status=ProposalStatus.PENDING
            ).update(status=ProposalStatus.PUBLISHED, moderated_at=Now())
            return freshness.update_in_bulk(
                self,
                "pk",
                status=Initiative.Status.PUBLISHED,
                published_at=Coalesce("published_at", Now()),
            )

    def possible_duplicates_of(self, initiative, limit=5):
        """[(initiative, reason)] that may be the same as this one, most likely first: the same
        website, or a similar name within DUPLICATE_KILOMETRES, or in the same commune when it
        has no point. A similar name: on PostgreSQL, by trigram similarity (pg_trgm), in the
        query; on SQLite, by comparing the names' words without accents (SIMILAR_NAMES) over a
        bounded number of candidates. Two queries at most."""
        others = self.exclude(pk=initiative.pk).only("pk", "name", "slug", "status", "website")
        found = {}
        if initiative.website:
            key = website_key(initiative.website)
            host = key.split("/", 1)[0]
            for other in others.filter(website__icontains=host)[:DUPLICATE_CANDIDATES]:
                if website_key(other.website) == key:
                    found[other.pk] = (other, _("same website"), 1.0)
        if initiative.latitude is not None:
            degrees = DUPLICATE_KILOMETRES / 111
            width = degrees / max(math.cos(math.radians(initiative.latitude)), 0.01)
            near = others.filter(
                latitude__range=(initiative.latitude - degrees, initiative.latitude + degrees),
                longitude__range=(initiative.longitude - width, initiative.longitude + width),
            )
        elif initiative.commune_id:
            near = others.filter(commune=initiative.commune_id)
        else:
            near = others.none()
        if connections[self.db].vendor == "postgresql":
            similar = (
                near.annotate(similarity=TrigramSimilarity("name", initiative.name))
                .filter(similarity__gte=SIMILAR_TRIGRAMS)
                .order_by("-similarity")
            )
            scored = ((other, other.similarity) for other in similar[:limit])
        else:
            matcher = difflib.SequenceMatcher(None, b=search.words_of(initiative.name))
            scored = []
            for other in near[:DUPLICATE_CANDIDATES]:
                matcher.set_seq1(search.words_of(other.name))
                scored.append((other, matcher.ratio()))
            scored = [(other, score) for other, score in scored if score >= SIMILAR_NAMES]
        for other, similarity in scored:
            if other.pk not in found:
                found[other.pk] = (other, _("similar name nearby"), similarity)
        ranked = sorted(found.values(), key=lambda item: -item[2])
        return [(other, reason) for other, reason, _score in ranked[:limit]]

    def unpublish(self):
        return freshness.update_in_bulk(self, "pk", status=Initiative.Status.DRAFT)

    def archive(self):
        return freshness.update_in_bulk(self, "pk", status=Initiative.Status.ARCHIVED)


class InitiativeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    PUBLISHED = "published", _("published")
    ARCHIVED = "archived", _("archived")


class Stage(models.TextChoices):
    EMERGENCE = "emergence", _("émergence")
    EXPERIMENTATION = "experimentation", _("expérimentation")
    CONSOLIDATION = "consolidation", _("consolidation")
    DIFFUSION = "diffusion", _("essaimage / diffusion")
    STOPPED = "stopped", _("arrêtée")


class LegalForm(models.TextChoices):
    ASSOCIATION = "association", _("association loi 1901")
    ASSOCIATION_RUP = "association_rup", _("association reconnue d'utilité publique")
    ASSOCIATION_LOCAL_LAW = (
        "association_local_law",
        _("association de droit local (Alsace-Moselle)"),
    )
    FOUNDATION = "foundation", _("fondation")
    MUTUAL = "mutual", _("mutuelle")
    SCOP = "scop", _("SCOP")
    SCIC = "scic", _("SCIC")
    COOPERATIVE = "cooperative", _("other coopérative")
    AGRICULTURAL_COOPERATIVE = "agricultural_cooperative", _("coopérative agricole / CUMA")
    COMMERCIAL_ESS = "commercial_ess", _("entreprise commerciale de l'ESS")
    PUBLIC_BODY = "public_body", _("collectivité or établissement public")
    INFORMAL = "informal", _("collectif informel")
    QC_OBNL = "qc_obnl", _("OBNL (Québec)")
    QC_COOPERATIVE = "qc_cooperative", _("coopérative (Québec)")
    QC_MUTUAL = "qc_mutual", _("mutuelle (Québec)")


@reversion.register(
    follow=["involvements", "source_identifiers", "contact"],
    exclude=["search_document", "search_vector"],
)
class Initiative(ValidatedOnce, WithImage):
    Status = InitiativeStatus
    Stage = Stage
    LegalForm = LegalForm

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(_("summary"), max_length=280)
    description = models.TextField(_("description"), blank=True)
    how_it_works = models.TextField(_("how it works"), blank=True)
    obstacles = models.TextField(_("obstacles"), blank=True)
    enablers = models.TextField(_("enablers"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    legal_form = models.CharField(
        _("legal form of the carrying structure"),
        max_length=30,
        choices=LegalForm.choices,
        blank=True,
    )
    year_started = models.PositiveSmallIntegerField(
        _("year started"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    website = models.URLField(_("website"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    commune = models.ForeignKey(
        Territory,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="located_initiatives",
        limit_choices_to={"kind__in": COMMUNE_KINDS},
    )
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=LATITUDE_VALIDATORS
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=LONGITUDE_VALIDATORS
    )
    action_territories = models.ManyToManyField(
        Territory,
        verbose_name=_("territories of action"),
        blank=True,
        related_name="acting_initiatives",
        help_text=_("Where the initiative acts beyond its own place, e.g. a national network."),
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, related_name="initiatives"
    )
    replicated_from = models.ForeignKey(
        "self",
        verbose_name=_("replicated from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replications",
        help_text=_("The initiative this one was replicated (essaimée) from."),
    )
    status = models.CharField(
        _("publication status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the initiative's own record was last saved: its public page shows it as the date
    # of the last update. Changes elsewhere (a theme's colour, a place's name) leave it alone.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Saves and bulk updates so far: an edit form opened before the last one is refused
    # (initiatives/history.py).
    edit_count = models.PositiveIntegerField(default=0, editable=False)

    # Maintained by initiatives/freshness.py after each write: see initiatives/search.py.
    # On PostgreSQL three GIN indexes, made by migrations (SQLite has none): the search's
    # `initiative_search_vector` (search_vector @@ query) and the typo fallback's
    # `initiative_search_trigram` (search_document %> words), of the published initiatives
    # only (drafts, which the public never searches, do not pay for them), and
    # `initiative_name_vector` (the words of the name, for a search with too many results to
    # rank: search.NameFirst).
    search_document = models.TextField(editable=False, blank=True, default="")
    search_vector = models.GeneratedField(
        expression=search.search_vector_expression(),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    # What a version in the history holds besides the row (reversion follows the involvements
    # and identifiers), prefetched: the actors name the involvements. Five queries, however
    # many initiatives.
    HISTORY_LOOKUPS = (
        "themes",
        "action_territories",
        "involvements__actor",
        "source_identifiers",
        "contact",
    )

    LONG_TEXT_FIELDS = (
        "description",
        "how_it_works",
        "obstacles",
        "enablers",
        "lessons",
        "search_document",
        "search_vector",
    )

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InitiativeStatus.values), name="initiative_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=[*Stage.values, ""]), name="initiative_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(legal_form__in=[*LegalForm.values, ""]),
                name="initiative_legal_form_valid",
            ),
            models.CheckConstraint(
                condition=Q(year_started__isnull=True)
                | Q(year_started__gte=1800, year_started__lte=2100),
                name="initiative_year_started_range",
            ),
            models.CheckConstraint(
                condition=~Q(replicated_from=models.F("id")), name="initiative_not_own_origin"
            ),
            *coordinate_constraints("initiative"),
        ]
        indexes = [
            # The public list: published initiatives by name or by publication date.
            models.Index(fields=["status", "name"], name="initiative_status_name"),
            models.Index(fields=["status", "-published_at"], name="initiative_status_published"),
            # The map: published initiatives inside a bounding box.
            models.Index(
                fields=["status", "longitude", "latitude"], name="initiative_status_point"
            ),
            models.Index(fields=["stage"], name="initiative_stage"),
            # The facets of the published initiatives (InitiativeFilter.count_facets): counted
            # from this index alone (an index-only scan), not from the table's wide rows.
            models.Index(
                fields=["status", "stage", "legal_form", "commune", "id"],
                name="initiative_facets",
            ),
            # Stale entries: published initiatives not updated since a date.
            models.Index(fields=["status", "updated_at"], name="initiative_status_updated"),
            # A filtered list's facet counts read its published results by sample slot, at most
            # counts.SAMPLE_SIZE of them (counts.tally()): the first slots of a large result
            # are found here without reading the others, with their communes (for the
            # territory filter) without reading the table.
            models.Index(
                F("id") % SAMPLE_SLOTS,
                F("id"),
                F("commune"),
                name="initiative_sample",
                condition=Q(status=InitiativeStatus.PUBLISHED),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        count_edit(self, kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("initiative_detail", args=[self.slug])

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if self.pk and self.replicated_from_id == self.pk:
            raise ValidationError({"replicated_from": _("An initiative cannot replicate itself.")})

    @property
    def is_public(self):
        return self.status == self.Status.PUBLISHED

    def kilometres_from_commune(self):
        """How far the point is from its commune's centre (great-circle), or None when either
        is unknown."""
        commune = self.commune
        if self.latitude is None or commune is None or commune.latitude is None:
            return None
        latitudes = math.radians(self.latitude), math.radians(commune.latitude)
        longitudes = math.radians(self.longitude), math.radians(commune.longitude)
        haversine = (
            math.sin((latitudes[1] - latitudes[0]) / 2) ** 2
            + math.cos(latitudes[0])
            * math.cos(latitudes[1])
            * math.sin((longitudes[1] - longitudes[0]) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(haversine))

    def point_far_from_commune(self):
        """Whether the point lies farther from its commune than a commune spans: a typo in a
        coordinate, or a point in another département."""
        distance = self.kilometres_from_commune()
        return distance is not None and distance > FAR_FROM_COMMUNE_KM

    def point_outside_departement(self):
        """Whether the point lies outside the outline of its commune's département (its
        parent), when import_boundaries loaded that outline: a point near a border may be on
        the wrong side of it at any distance. False when it cannot tell. One query."""
        if self.latitude is None or self.commune is None or not self.commune.parent_id:
            return False
        boundary = TerritoryBoundary.objects.filter(territory=self.commune.parent_id).first()
        return boundary is not None and boundary.is_far_from(self.latitude, self.longitude)


EARTH_RADIUS_KM = 6371
# Farther than this from its commune's centre, an initiative's point is probably wrong: the
# largest French communes (outside Guyane) span about 30 km.
FAR_FROM_COMMUNE_KM = 50


def count_edit(instance, save_kwargs):
    """Count one more edit of a row with an `edit_count`, from its save() method."""
    instance.edit_count += 1
    if save_kwargs.get("update_fields") is not None:
        save_kwargs["update_fields"] = {*save_kwargs["update_fields"], "edit_count"}


def is_curator(user):
    """A staff member allowed to see the directory's content beyond what is published."""
    return user.is_authenticated and user.is_staff and user.has_perm("initiatives.view_initiative")


def curated_paths(user):
    """The paths of the territories a curator is limited to (TerritorialCurator), or None for
    the whole directory: superusers, and national curators, limited to none. Read once per
    request (the user object keeps it)."""
    if user.is_superuser or not user.is_authenticated:
        return None
    if not hasattr(user, "_curated_paths"):
        paths = TerritorialCurator.objects.filter(user=user).values_list(
            "territory__path", flat=True
        )
        user._curated_paths = sorted(paths) or None
    return user._curated_paths


def in_paths(territory, paths):
    return territory is not None and any(territory.path.startswith(path) for path in paths)


class TerritorialCurator(models.Model):
    """A curator limited to a territory's subtree (the CRESS of a région): in the admin they
    see, edit, moderate and publish only the initiatives located or acting there, with their
    assessments, observations, proposals and corrections. Set by superusers only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("curator"),
        on_delete=models.CASCADE,
        related_name="curated_territories",
    )
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("territorial curator")
        verbose_name_plural = _("territorial curators")
        constraints = [
            models.UniqueConstraint(fields=["user", "territory"], name="territorial_curator_once")
        ]

    def __str__(self):
        return f"{self.user} — {self.territory}"


@reversion.register()
class SourceIdentifier(models.Model):
    """An initiative's identifier in another directory or in a curator's spreadsheet.

    Imports find initiatives by it, written `source:identifier` (e.g. `transiscope:4f2a`), so
    that importing the same file again updates what the first import made.
    """

    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="source_identifiers",
    )
    source = models.SlugField(
        _("source"),
        max_length=50,
        help_text=_("The directory or file it comes from, e.g. transiscope or cress-hdf."),
    )
    identifier = models.CharField(
        _("identifier"), max_length=200, help_text=_("Its identifier in that source.")
    )
    # What the last import of that source wrote, field by field: a value that differs now was
    # edited by a curator, and the next import does not overwrite it silently.
    imported_values = models.JSONField(default=dict, blank=True, editable=False)
    source_updated = models.CharField(
        _("last update in the source"), max_length=40, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("identifier in a source")
        verbose_name_plural = _("identifiers in other sources")
        ordering = ["source", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "identifier"], name="source_identifier_unique"
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        """How imports and searches write it: `source:identifier`."""
        return f"{self.source}:{self.identifier}"


@reversion.register()
class InitiativeContact(models.Model):
    """Whom to contact about an initiative: private, in a table no public page reads. Imports
    put the people's names, phones and e-mails of a source here."""

    initiative = models.OneToOneField(
        Initiative, verbose_name=_("initiative"), on_delete=models.CASCADE, related_name="contact"
    )
    name = models.CharField(_("contact name"), max_length=200, blank=True)
    email = models.CharField(_("contact e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("contact phone"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("private contact")
        verbose_name_plural = _("private contacts")

    def __str__(self):
        return self.name or self.email or self.phone or str(self.initiative)


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("waiting for a curator")
    PUBLISHED = "published", _("published")
    MERGED = "merged", _("merged into an existing initiative")
    REJECTED = "rejected", _("rejected")


def new_proposal_token():
    return secrets.token_urlsafe(32)


class Proposal(models.Model):
    """An initiative proposed by a visitor (/proposer/), waiting for a curator: the initiative
    itself is `submitted`, never public until published.

    The contributor's name and e-mail are private: no public page, export or API reads this
    table except the status page, which the private `token` opens and which shows neither.
    `purge_contributions` blanks them CONTRIBUTOR_DATA_RETENTION_DAYS after moderation.
    """

    Status = ProposalStatus

    initiative = models.OneToOneField(
        Initiative, verbose_name=_("initiative"), on_delete=models.CASCADE, related_name="proposal"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    contributor_name = models.CharField(_("contributor's name"), max_length=120, blank=True)
    contributor_email = models.EmailField(_("contributor's e-mail"), blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_proposal_token, editable=False)
    reason = models.TextField(_("reason for the rejection"), blank=True, max_length=2000)
    merged_into = models.ForeignKey(
        Initiative,
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
        ]
        indexes = [
            # The moderation queue: pending proposals, oldest first.
            models.Index(fields=["status", "created_at"], name="proposal_status_created"),
        ]

    def __str__(self):
        return str(self.initiative)

    def get_absolute_url(self):
        return reverse("proposal_status", args=[self.token])

    @property
    def is_pending(self):
        return self.status == ProposalStatus.PENDING

    def publish(self):
        """Publish the proposed initiative (InitiativeQuerySet.publish marks the proposal)."""
        Initiative.objects.filter(pk=self.initiative_id).publish()
        self.refresh_from_db(fields=["status", "moderated_at"])

    @transaction.atomic
    def reject(self, reason):
        """Refuse the proposal: its initiative is archived, never public, and kept."""
        self.status, self.reason, self.moderated_at = (
            ProposalStatus.REJECTED,
            reason,
            timezone.now(),
        )
        self.save(update_fields=["status", "reason", "moderated_at"])
        Initiative.objects.filter(pk=self.initiative_id).archive()

    @transaction.atomic
    def merge_into(self, target):
        """The proposal describes `target`, which exists: its involvements move there (those
        the target lacks), its themes join the target's, and the proposed initiative is
        archived. Both keep their history."""
        proposed = self.initiative
        held = set(target.involvements.values_list("actor_id", "role"))
        moving = [
            involvement.pk
            for involvement in proposed.involvements.all()
            if (involvement.actor_id, involvement.role) not in held
        ]
        Involvement = proposed.involvements.model
        Involvement.objects.filter(pk__in=moving).update(initiative=target)
        target.themes.add(*proposed.themes.all())
        self.status, self.merged_into, self.moderated_at = (
            ProposalStatus.MERGED,
            target,
            timezone.now(),
        )
        self.save(update_fields=["status", "merged_into", "moderated_at"])
        Initiative.objects.filter(pk=proposed.pk).archive()
        if reversion.is_active():
            reversion.add_to_revision(target)
        freshness.directory_changed([target.pk, proposed.pk])


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("waiting for a curator")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Correction(models.Model):
    """A change of an initiative's public fields suggested by a visitor, not applied: a curator
    sees it beside the current values, then accepts it (as a new version in the history, the
    contributor named in its comment), edits it first, or rejects it with a reason.

    `changes` holds the suggested values, `seen` the values the visitor saw: when the initiative
    changed since (another correction accepted, a curator's edit), the curator is told, field by
    field, instead of the older suggestion silently undoing the newer change. The contributor's
    name and e-mail are optional and private, like a Proposal's.
    """

    FIELDS = (
        "name",
        "summary",
        "description",
        "how_it_works",
        "obstacles",
        "enablers",
        "lessons",
        "stage",
        "legal_form",
        "year_started",
        "website",
        "address",
        "commune",
        "themes",
    )
    Status = CorrectionStatus

    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="corrections",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    changes = models.JSONField(_("suggested values"), default=dict)
    seen = models.JSONField(_("values seen by the contributor"), default=dict)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    contributor_name = models.CharField(_("contributor's name"), max_length=120, blank=True)
    contributor_email = models.EmailField(_("contributor's e-mail"), blank=True)
    reason = models.TextField(_("reason for the rejection"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("suggested"), auto_now_add=True)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CorrectionStatus.values), name="correction_status_valid"
            ),
        ]
        indexes = [
            # The moderation queue: pending corrections, oldest first.
            models.Index(fields=["status", "created_at"], name="correction_status_created"),
        ]

    def __str__(self):
        return str(self.initiative)

    @property
    def is_pending(self):
        return self.status == CorrectionStatus.PENDING

    def current_values(self):
        """The initiative's values of the corrected fields, as `changes` holds them: the
        commune by its pk, the themes as a sorted list of pks."""
        initiative = self.initiative
        values = {}
        for name in self.changes:
            if name == "commune":
                values[name] = initiative.commune_id
            elif name == "themes":
                values[name] = sorted(initiative.themes.values_list("pk", flat=True))
            else:
                values[name] = getattr(initiative, name)
        return values

    def rows(self):
        """[(field, value seen, current value, suggested value, changed since)] to compare,
        the values as a curator reads them (a choice's label, a commune's or themes' names)."""
        from .history import display

        current = self.current_values()
        rows = []
        for name, value in self.changes.items():
            model_field = Initiative._meta.get_field(name)
            seen = self.seen.get(name)
            rows.append(
                (
                    model_field,
                    display(model_field, seen),
                    display(model_field, current[name]),
                    display(model_field, value),
                    seen != current[name],
                )
            )
        return rows

    @transaction.atomic
    def accept(self, values=None):
        """Apply the suggested values, or `values` as the curator edited them, through the
        initiative's save (validated, recorded, the directory told); raises ValidationError."""
        initiative = self.initiative
        values = dict(self.changes if values is None else values)
        themes = values.pop("themes", None)
        if "commune" in values:
            values["commune_id"] = values.pop("commune")
        if values:  # a comment alone changes nothing of the initiative
            for name, value in values.items():
                setattr(initiative, name, value)
            initiative.full_clean()
            initiative.save()
        if themes is not None:
            initiative.themes.set(themes)
        self.status, self.moderated_at = CorrectionStatus.ACCEPTED, timezone.now()
        self.save(update_fields=["status", "moderated_at"])

    def reject(self, reason):
        self.status, self.reason, self.moderated_at = (
            CorrectionStatus.REJECTED,
            reason,
            timezone.now(),
        )
        self.save(update_fields=["status", "reason", "moderated_at"])


class TerritoryBoundary(models.Model):
    """A territory's outline, simplified, as GeoJSON (import_boundaries): imports place a point
    in its département or commune with it. The bounds come first in the query."""

    territory = models.OneToOneField(
        Territory, verbose_name=_("territory"), on_delete=models.CASCADE, related_name="boundary"
    )
    geometry = models.JSONField(_("geometry"))
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self):
        return str(self.territory)

    def is_far_from(self, latitude, longitude):
        """Whether the point lies farther outside this outline than BOUNDARY_TOLERANCE."""
        from shapely.geometry import Point, shape

        return shape(self.geometry).distance(Point(longitude, latitude)) > BOUNDARY_TOLERANCE


class ImportMapping(models.Model):
    """How the columns of a source's files become an initiative's fields, saved under a name
    and reused for the next file of the same source (initiatives/imports/mapping.py)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    source = models.SlugField(
        _("source"),
        max_length=50,
        help_text=_("The directory or file it comes from, e.g. transiscope or cress-hdf."),
    )
    mapping = models.JSONField(_("mapping"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImportRunStatus(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    MAPPED = "mapped", _("mapped, to check")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


class ImportRun(models.Model):
    """One import of a file: uploaded, mapped, checked by a dry run, then applied."""

    Status = ImportRunStatus

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    source = models.SlugField(_("source"), max_length=50)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    applied_at = models.DateTimeField(_("imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportRunStatus.values), name="import_run_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.source})"
