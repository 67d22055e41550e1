import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Actor, Involvement

ROLE_COUNT_ORDER = {role: f"-{role}_count" for role in Involvement.Role.values}


class ActorFilter(django_filters.FilterSet):
    """The actors' list: by name, kind, sector, and the role they play somewhere."""

    q = django_filters.CharFilter(method="filter_name", label=_("Name"), max_length=200)
    kind = django_filters.ChoiceFilter(choices=Actor.Kind.choices, label=_("Kind"))
    sector = django_filters.ChoiceFilter(choices=Actor.Sector.choices, label=_("Sector"))
    role = django_filters.ChoiceFilter(
        choices=Involvement.Role.choices, method="filter_role", label=_("Role")
    )

    class Meta:
        model = Actor
        fields = []

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))

    def filter_role(self, queryset, name, role):
        """Actors playing this role in a published initiative, the most involved first."""
        return queryset.filter(**{f"{role}_count__gt": 0}).order_by(ROLE_COUNT_ORDER[role], "name")
