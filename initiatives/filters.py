"""The one FilterSet behind the list, the map and the exports.

Every parameter is a plain GET parameter, so a filtered view is a shareable URL:
q, theme (repeatable), territory, stage (repeatable), legal_form (repeatable), role, actor,
year_min, year_max, located (true: with a point on the map, false: without), sort, and the
evaluation filters framework and dimension with dimension_min (evaluation/filters.py).
Invalid values are reported in `form.errors` and ignored; the valid filters still apply
(views set `strict = False`).
"""

import hashlib
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import SuffixedMultiWidget

from actors.models import Actor, Involvement
from evaluation.filters import AssessedWithFilter, DimensionScoreFilter

from . import counts, freshness
from .models import Initiative, Territory, Theme
from .search import RANKED_AT_MOST, normalise, typos_wanted

SORT_CHOICES = [
    ("relevance", _("relevance")),
    ("name", _("name")),
    ("newest", _("newest first")),
    ("oldest", _("oldest first")),
]
SORT_ORDERINGS = {
    "name": ["name", "pk"],
    "newest": ["-published_at", "name", "pk"],
    "oldest": ["published_at", "name", "pk"],
}
YEAR_BOUNDS = {"min_value": 1800, "max_value": 2100}
ACTOR_FACET_LIMIT = 100


class ActorChoiceField(forms.ModelChoiceField):
    """An actor by its slug, as links give it, or by its name, as the filter form's
    search-as-you-type field sends it (its suggestions are names)."""

    widget = forms.TextInput

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            named = list(self.queryset.filter(name__iexact=value.strip())[:2])
            if len(named) == 1:
                return named[0]
            if named:
                message = _("Several actors are called “%(name)s”: choose one from its page.")
            else:
                message = _("No actor is called “%(name)s”: choose one from the suggestions.")
            raise ValidationError(message, code="invalid_choice", params={"name": value}) from None


class ActorFilter(django_filters.ModelChoiceFilter):
    field_class = ActorChoiceField


class ThemeChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Themes by their `to_field_name` (the slug), looked up among every theme, which the
    facets list anyway: the form and the facets read the themes once (count_facets(), which
    gives these objects their counts)."""

    @cached_property
    def every_theme(self):
        return list(self.queryset.order_by("position", "name"))

    def _check_values(self, value):
        # Django's looks the values up in a query of their own; the same checks, in the list.
        by_key = {str(getattr(theme, self.to_field_name)): theme for theme in self.every_theme}
        for key in value:
            self.validate_no_null_characters(key)
            if str(key) not in by_key:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": key},
                )
        return [by_key[str(key)] for key in dict.fromkeys(value)]


class ThemeFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = ThemeChoiceField


class InitiativeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    theme = ThemeFilter(
        # With its parent: a theme's page names it (views.ThemeDetailView).
        queryset=Theme.objects.select_related("parent"),
        to_field_name="slug",
        method="filter_themes",
        label=_("Themes"),
        widget=forms.CheckboxSelectMultiple,
    )
    # Rendered from the facets, never as a <select>: there are 35,000 communes.
    territory = django_filters.ModelChoiceFilter(
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territory",
        label=_("Territory"),
        widget=forms.HiddenInput,
    )
    # distinct=False: a plain IN on a column needs no SELECT DISTINCT over whole rows.
    stage = django_filters.MultipleChoiceFilter(
        choices=Initiative.Stage.choices,
        label=_("Stage"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    legal_form = django_filters.MultipleChoiceFilter(
        choices=Initiative.LegalForm.choices,
        label=_("Legal form"),
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    role = django_filters.ChoiceFilter(
        choices=Involvement.Role.choices, method="filter_role", label=_("Role")
    )
    actor = ActorFilter(
        queryset=Actor.objects.public(),
        to_field_name="slug",
        method="filter_actor",
        label=_("Actor"),
    )
    year_min = django_filters.NumberFilter(
        field_name="year_started", lookup_expr="gte", label=_("Started from"), **YEAR_BOUNDS
    )
    year_max = django_filters.NumberFilter(
        field_name="year_started", lookup_expr="lte", label=_("Started until"), **YEAR_BOUNDS
    )
    located = django_filters.ChoiceFilter(
        choices=[("true", _("placed on the map")), ("false", _("without a position"))],
        method="filter_located",
        label=_("On the map"),
        empty_label=_("all, placed or not"),
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label=_("Sort by"), empty_label=None
    )
    framework = AssessedWithFilter(label=_("Assessed with"))
    dimension = DimensionScoreFilter(label=_("Dimension score at least"))

    class Meta:
        model = Initiative
        fields = []

    def parameter_names(self):
        """The GET parameters this FilterSet reads (the dimension filter reads two)."""
        names = set()
        for name, form_field in self.form.fields.items():
            widget = form_field.widget
            if isinstance(widget, SuffixedMultiWidget):
                names.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
            else:
                names.add(name)
        return names

    def filter_search(self, queryset, name, value):
        # Orders by relevance; a `sort` other than relevance overrides it. The facets filter
        # again for each count: whether to look for typos is decided once, over everything
        # this FilterSet lists.
        if not hasattr(self, "typos"):
            self.typos = typos_wanted(self.queryset, value)
        return queryset.search(value, typos=self.typos)

    def too_many_to_rank(self):
        """Whether the results are a search ordered by relevance (PostgreSQL's rank, not the
        typo fallback's similarity) with more results than are ranked, as the facets counted
        them (search.RANKED_AT_MOST): those are paged name first (search.NameFirst)."""
        data = self.form.cleaned_data
        return (
            bool(data.get("q"))
            and data.get("sort") not in SORT_ORDERINGS
            and connections[self.queryset.db].vendor == "postgresql"
            and not getattr(self, "typos", False)
            and self.facets().total > RANKED_AT_MOST
        )

    def filter_themes(self, queryset, name, themes):
        if not themes:
            return queryset
        family = Theme.objects.family_of([theme.slug for theme in themes])
        links = Initiative.themes.through.objects.filter(theme__in=family)
        return queryset.filter(pk__in=links.values("initiative"))

    def filter_territory(self, queryset, name, territory):
        return queryset.located_in(territory)

    def filter_located(self, queryset, name, located):
        return queryset.with_point() if located == "true" else queryset.without_point()

    def filter_role(self, queryset, name, role):
        # Applied together with the actor in filter_queryset, so that "role=funder&actor=x"
        # means "funded by x", not "has some funder, and x in some role".
        return queryset

    def filter_actor(self, queryset, name, actor):
        return queryset

    def filter_sort(self, queryset, name, value):
        if value in SORT_ORDERINGS:
            return queryset.order_by(*SORT_ORDERINGS[value])
        return queryset

    def filter_queryset(self, queryset):
        return self.filter_queryset_without(queryset)

    def filter_queryset_without(self, queryset, excluded=()):
        """The queryset filtered by every valid filter except the `excluded` ones."""
        cleaned_data = self.form.cleaned_data
        for name, value in cleaned_data.items():
            if name not in excluded:
                queryset = self.filters[name].filter(queryset, value)
                assert isinstance(queryset, QuerySet), f"Filter {name} returned {queryset!r}"
        role = None if "role" in excluded else cleaned_data.get("role")
        actor = None if "actor" in excluded else cleaned_data.get("actor")
        if role or actor:
            involvements = Involvement.objects.all()
            if role:
                involvements = involvements.filter(role=role)
            if actor:
                involvements = involvements.filter(actor=actor)
            queryset = queryset.filter(pk__in=involvements.values("initiative"))
        return queryset

    def facets(self):
        """count_facets(), from the cache while the directory has not changed, and once per
        request (the list's pagination reads their total).

        Facets cost most of a list's or map's time at 100,000 initiatives, and the same
        filters come back again and again (a broad filter is the common one). Besides what
        freshness.cached() keys on, the key holds the listed initiatives (the base queryset's
        SQL) and the filters that count: not the page nor the sort.
        """
        if not hasattr(self, "_facets"):
            parameters = sorted(
                (
                    name,
                    self.data.getlist(name) if hasattr(self.data, "getlist") else self.data[name],
                )
                for name in self.parameter_names() - {"page", "sort"}
                if name in self.data
            )
            scope = hashlib.sha256(repr((str(self.queryset.query), parameters)).encode())
            self._facets = freshness.cached(f"facets:{scope.hexdigest()}", self.count_facets)
        return self._facets

    def count_facets(self):
        """How many results each option of each facet would give with the other filters
        applied, how many results there are and how many of them have no point.

        Each facet leaves its own filter out. When no other filter applies, what it counts is
        the published directory, whose counts are stored (initiatives/counts.py): a read of a
        few rows. Otherwise its counts are tallied from the keys of the initiatives it counts,
        at most counts.SAMPLE_SIZE of them, every set of initiatives of the request in one
        query (counts.tally()): estimates for a larger set, at a cost that does not grow with
        the directory. Then one query names the territories, one the actors, and one lists
        the themes, which the form's validation of the chosen themes read if it ran (it may
        add its territory's and actor's lookups if they have not run yet).
        """
        self.is_valid()  # fills the form's cleaned_data
        data = self.form.cleaned_data
        # The chosen filters each facet leaves out; none for the results themselves.
        left_out = {
            facet: tuple(name for name in names if data.get(name))
            for facet, names in FACET_FILTERS.items()
        }
        left_out["results"] = ()
        sets = {
            names: self.filter_queryset_without(self.queryset, excluded=("sort", *names))
            for names in set(left_out.values())
        }
        tallied = [
            names for names, initiatives in sets.items() if not initiatives.is_published_directory()
        ]
        tallies = dict(zip(tallied, counts.tally(*(sets[n] for n in tallied)), strict=True))

        def tally_of(facet):
            """The facet's Tally; None for the published directory's stored counts."""
            return tallies.get(left_out[facet])

        selected_themes = {theme.slug for theme in data.get("theme") or ()}
        theme_tally = tally_of("theme")
        themes = Theme.objects.with_counts(
            theme_tally,
            # Read by the form when it checked the chosen themes (else now: one query).
            every_theme=self.form.fields["theme"].every_theme if theme_tally else None,
        )
        for theme in themes:
            theme.selected = theme.slug in selected_themes
            for subtheme in theme.subthemes:
                subtheme.selected = subtheme.slug in selected_themes

        choices = ("stage", "legal_form")
        from_stored = [facet for facet in choices if tally_of(facet) is None]
        stored = counts.stored(*from_stored) if from_stored else {}
        options = {
            facet: self.choice_options(facet, stored[facet])
            if tally_of(facet) is None
            else self.choice_options(facet, tally_of(facet).of(facet), tally_of(facet).scaled(0))
            for facet in choices
        }
        territory = data.get("territory")
        ancestors, territories = counts.territory_options(territory, tally_of("territory"))
        actors, actors_left_out = self.actor_options(tally_of("actor"), data.get("role"))
        results = tally_of("results")
        located, unlocated = counts.points_counted() if results is None else results.points()
        return Facets(
            themes=list(themes),
            stages=options["stage"],
            legal_forms=options["legal_form"],
            territory=territory,
            territory_ancestors=ancestors,
            territories=territories,
            actors=actors,
            actors_left_out=actors_left_out,
            total=located + unlocated if results is None else results.total,
            unlocated=unlocated,
        )

    def choice_options(self, name, counts, missing=0):
        """The options of a choice facet with their counts, those that give results or are
        chosen; `missing`, the count of an option the counts do not hold (an estimate's 0)."""
        selected = set(self.form.cleaned_data.get(name) or ())
        return [
            FacetOption(value, label, counts.get(value, missing), value in selected)
            for value, label in self.filters[name].extra["choices"]
            if counts.get(value) or value in selected
        ]

    def actor_options(self, tally, role):
        """The actors most involved in the results (in the chosen role), by name, and whether
        some were left out (the chosen actor comes first when it is not among them).

        Bounded so that the form stays small at any size of directory; every actor's own page
        links to its initiatives. One query, two when the chosen actor is among those left
        out of the published directory's.
        """
        actor = self.form.cleaned_data.get("actor")
        if tally is None:
            rows = counts.most_involved_actors(ACTOR_FACET_LIMIT + 1, role)
        else:
            rows = counts.most_involved_in(tally.actors(role), ACTOR_FACET_LIMIT + 1)
        # From a sample, some actors involved in the results may not be among those counted.
        left_out = len(rows) > ACTOR_FACET_LIMIT or (tally is not None and not tally.exact)
        rows = sorted(rows[:ACTOR_FACET_LIMIT], key=lambda row: normalise(row[1]))
        options = [
            FacetOption(slug, name, count, actor is not None and slug == actor.slug)
            for slug, name, count in rows
        ]
        if actor and not any(option.selected for option in options):
            if not left_out:
                count = 0  # every actor involved is listed: this one is not
            elif tally is None:
                count = counts.count_of(*counts.actor_key(actor.pk, role))
            else:
                count = tally.actors(role).get(actor.pk, tally.scaled(0))
            options.insert(0, FacetOption(actor.slug, actor.name, count, True))
        return options, left_out


# The filters each facet leaves out when they are chosen: a facet counts what its options
# would give with the other filters.
FACET_FILTERS = {
    "theme": ("theme",),
    "stage": ("stage",),
    "legal_form": ("legal_form",),
    "territory": ("territory",),
    "actor": ("role", "actor"),
}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Facets:
    """What the filter form shows beside its options (see filter_form.html)."""

    themes: list = field(default_factory=list)
    stages: list = field(default_factory=list)
    legal_forms: list = field(default_factory=list)
    territory: Territory | None = None
    territory_ancestors: list = field(default_factory=list)
    territories: list = field(default_factory=list)
    actors: list = field(default_factory=list)
    actors_left_out: bool = False
    # How many results, and how many of them without a point: counts.Estimate when the
    # results were counted from a sample.
    total: int = 0
    unlocated: int = 0

    @property
    def chosen_actor(self):
        return next((option for option in self.actors if option.selected), None)
