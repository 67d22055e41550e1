"""Evaluation blocks for other apps' pages, each in a fixed number of queries."""

from django import template
from django.utils.translation import gettext as _

from initiatives.models import Initiative, Theme

from ..charts import format_number
from ..filters import grids_with_dimensions
from ..profiles import average_profiles, initiative_profiles, initiative_series, territory_series

register = template.Library()


@register.inclusion_tag("evaluation/includes/initiative_evaluation.html")
def initiative_evaluation(initiative):
    """The initiative's radars and indicator series: five queries at most."""
    return {
        "initiative": initiative,
        "profiles": initiative_profiles(initiative),
        "series": initiative_series(initiative),
    }


@register.inclusion_tag("evaluation/includes/average_evaluation.html")
def average_evaluation(territory=None, theme=None):
    """The average profile of the published initiatives located in a territory or under a theme.

    Four queries, plus one for a territory's own indicator series.
    """
    initiatives = Initiative.objects.published()
    if territory is not None:
        initiatives = initiatives.located_in(territory)
        place = territory
    else:
        initiatives = initiatives.filter(themes__in=Theme.objects.family_of(theme.slug))
        place = theme
    profiles, assessed = average_profiles(initiatives, chart_prefix=f"average-{place.slug}")
    return {
        "place": place,
        "profiles": profiles,
        "assessed": assessed,
        "series": territory_series(territory) if territory is not None else [],
    }


@register.inclusion_tag("evaluation/includes/radar_chart.html")
def radar(chart):
    return {"chart": chart}


@register.inclusion_tag("evaluation/includes/series_chart.html")
def series(chart):
    return {"chart": chart}


@register.filter
def score(value):
    """A dimension score for readers: "2,33", or "not applicable" for None."""
    return _("not applicable") if value is None else format_number(value)


@register.filter
def number(value):
    """An observed value for readers: "2 450", "12,5"."""
    return format_number(value)


@register.simple_tag
def evaluation_filter_grids():
    """The current grids and their dimensions, for the list's filters: one query."""
    return grids_with_dimensions()
