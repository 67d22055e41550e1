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
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import SuffixedMultiWidget

from actors.models import Actor, Involvement
from evaluation.filters import AssessedWithFilter, DimensionScoreFilter

from . import counts, freshness
from .models import Initiative, Territory, Theme
from .search import normalise, typos_wanted

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


class InitiativeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(),
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

    def filter_themes(self, queryset, name, themes):
        if not themes:
            return queryset
        family = Theme.objects.family_of([theme.slug for theme in themes])
        return queryset.filter(pk__in=Initiative.objects.filter(themes__in=family).values("pk"))

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
        """count_facets(), from the cache while the directory has not changed.

        Facets cost most of a list's or map's time at 100,000 initiatives, and the same
        filters come back again and again (a broad filter is the common one). Besides what
        freshness.cached() keys on, the key holds the listed initiatives (the base queryset's
        SQL) and the filters that count: not the page nor the sort.
        """
        parameters = sorted(
            (name, self.data.getlist(name) if hasattr(self.data, "getlist") else self.data[name])
            for name in self.parameter_names() - {"page", "sort"}
            if name in self.data
        )
        scope = hashlib.sha256(repr((str(self.queryset.query), parameters)).encode()).hexdigest()
        return freshness.cached(f"facets:{scope}", self.count_facets)

    def count_facets(self):
        """How many results each option of each facet would give with the other filters applied.

        Six queries whatever the number of initiatives, options and filters, when neither a
        stage nor a legal form is chosen (seven when one is, eight when a territory is chosen):
        themes 2, stages and legal forms 1, territories 2 (+1 for the chosen territory's
        ancestors), actors 1 (+1 when the chosen actor is not among the most involved). The
        form's validation may add its lookups (theme, territory, actor) if they have not run
        yet. The filters select each initiative once (they filter through subqueries, never
        through a join), so the counts group the filtered rows themselves, read from the
        `initiative_facets` index: no semi-join of the directory with itself.

        When what a facet counts is the whole published directory (no other filter applies to
        it), its counts are the stored ones (initiatives/counts.py): a read of a few rows,
        whatever the directory's size.
        """
        self.is_valid()  # fills the form's cleaned_data
        data = self.form.cleaned_data
        base = self.queryset

        def without(*names):
            return self.filter_queryset_without(base, excluded=("sort", *names))

        selected_themes = {theme.slug for theme in data.get("theme") or ()}
        themes = Theme.objects.with_counts(without("theme"))
        for theme in themes:
            theme.selected = theme.slug in selected_themes
            for subtheme in theme.subthemes:
                subtheme.selected = subtheme.slug in selected_themes

        if data.get("stage") or data.get("legal_form"):
            stages = self.count_by("stage", without("stage"))
            legal_forms = self.count_by("legal_form", without("legal_form"))
        elif without().is_published_directory():
            stored = counts.stored("stage", "legal_form")
            stages, legal_forms = stored["stage"], stored["legal_form"]
        else:  # the same initiatives for both: one pass
            stages, legal_forms = self.count_by_pairs("stage", "legal_form", without())
        territory = data.get("territory")
        actors, actors_left_out = self.actor_counts(without("role", "actor"), data.get("role"))
        return Facets(
            themes=list(themes),
            stages=self.choice_options("stage", stages),
            legal_forms=self.choice_options("legal_form", legal_forms),
            territory=territory,
            territory_ancestors=territory.ancestors() if territory else [],
            territories=without("territory").count_by_subterritory(territory),
            actors=actors,
            actors_left_out=actors_left_out,
        )

    @staticmethod
    def count_by(name, initiatives):
        return dict(initiatives.order_by().values_list(name).annotate(count=Count("pk")))

    @staticmethod
    def count_by_pairs(first, second, initiatives):
        """count_by() of two fields, in one query grouped on both."""
        counts = ({}, {})
        for *values, count in (
            initiatives.order_by().values_list(first, second).annotate(count=Count("pk"))
        ):
            for by_value, value in zip(counts, values, strict=True):
                by_value[value] = by_value.get(value, 0) + count
        return counts

    def choice_options(self, name, counts):
        selected = set(self.form.cleaned_data.get(name) or ())
        return [
            FacetOption(value, label, counts.get(value, 0), value in selected)
            for value, label in self.filters[name].extra["choices"]
            if counts.get(value) or value in selected
        ]

    def actor_counts(self, initiatives, role):
        """The actors most involved in the results, by name, and whether some were left out
        (the chosen actor comes first when it is not among them).

        Bounded so that the form stays small at any size of directory; every actor's own page
        links to its initiatives. One query, two when the chosen actor is among those left out.
        """
        involvements = {"initiative__in": initiatives.values("pk")}  # which involvements count
        if role:
            involvements["role"] = role
        actor = self.form.cleaned_data.get("actor")
        if not role and initiatives.is_published_directory():
            rows = counts.most_involved_actors(ACTOR_FACET_LIMIT + 1)
        else:
            # From the actors' side, in one filter() so that the count reads the same join,
            # grouped on the actor's primary key alone: half the time of grouping the
            # involvements on the actors' names, at 100,000 initiatives.
            rows = list(
                Actor.objects.filter(**{f"involvements__{n}": v for n, v in involvements.items()})
                .annotate(count=Count("involvements__initiative", distinct=True))
                .order_by("-count", "name")
                .values_list("slug", "name", "count")[: ACTOR_FACET_LIMIT + 1]
            )
        left_out = len(rows) > ACTOR_FACET_LIMIT
        rows = sorted(rows[:ACTOR_FACET_LIMIT], key=lambda row: normalise(row[1]))
        options = [
            FacetOption(slug, name, count, actor is not None and slug == actor.slug)
            for slug, name, count in rows
        ]
        if actor and not any(option.selected for option in options):
            count = (
                Involvement.objects.filter(**involvements, actor=actor)
                .values("initiative")
                .distinct()
                .count()
                if left_out
                else 0
            )
            options.insert(0, FacetOption(actor.slug, actor.name, count, True))
        return options, left_out


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

    @property
    def chosen_actor(self):
        return next((option for option in self.actors if option.selected), None)
