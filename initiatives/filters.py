"""The one FilterSet behind the list, the map and the exports."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from actors.models import Actor, Involvement

from .models import Initiative, Territory, Theme


class InitiativeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(),
        to_field_name="slug",
        method="filter_themes",
        label=_("Themes"),
        widget=forms.CheckboxSelectMultiple,
    )
    territory = django_filters.ModelChoiceFilter(
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territory",
        label=_("Territory"),
    )
    stage = django_filters.MultipleChoiceFilter(
        choices=Initiative.Stage.choices, label=_("Stage"), widget=forms.CheckboxSelectMultiple
    )
    legal_form = django_filters.MultipleChoiceFilter(
        choices=Initiative.LegalForm.choices, label=_("Legal form")
    )
    role = django_filters.ChoiceFilter(
        choices=Involvement.Role.choices, method="filter_role", label=_("Role")
    )
    actor = django_filters.ModelChoiceFilter(
        queryset=Actor.objects.all(), to_field_name="slug", method="filter_actor", label=_("Actor")
    )
    year_min = django_filters.NumberFilter(
        field_name="year_started", lookup_expr="gte", label=_("Started from")
    )
    year_max = django_filters.NumberFilter(
        field_name="year_started", lookup_expr="lte", label=_("Started until")
    )

    class Meta:
        model = Initiative
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_themes(self, queryset, name, themes):
        if not themes:
            return queryset
        family = Theme.objects.family_of([theme.slug for theme in themes])
        return queryset.filter(pk__in=Initiative.objects.filter(themes__in=family).values("pk"))

    def filter_territory(self, queryset, name, territory):
        return queryset.located_in(territory)

    def filter_role(self, queryset, name, role):
        # Applied together with the actor in filter_queryset, so that "role=funder&actor=x"
        # means "funded by x", not "has some funder, and x in some role".
        return queryset

    def filter_actor(self, queryset, name, actor):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        role = self.form.cleaned_data.get("role")
        actor = self.form.cleaned_data.get("actor")
        if role or actor:
            involvements = Involvement.objects.all()
            if role:
                involvements = involvements.filter(role=role)
            if actor:
                involvements = involvements.filter(actor=actor)
            queryset = queryset.filter(pk__in=involvements.values("initiative"))
        return queryset
