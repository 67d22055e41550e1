"""Options for the small maps that detail pages include (see templates/initiatives/includes)."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from initiatives import map as map_data
from initiatives.map_views import map_texts

register = template.Library()


@register.simple_tag
def initiative_map_options(initiative):
    """The initiative's point, for static/js/map_point.js."""
    return {
        **map_data.leaflet_options(),
        "point": [initiative.latitude, initiative.longitude],
        "name": initiative.name,
        "color": map_data.DEFAULT_COLOR,
    }


@register.simple_tag
def territory_map_options(territory):
    """The clustered initiatives located in the territory, for static/js/map.js."""
    fallback = None
    if territory.latitude is not None:
        fallback = [territory.latitude, territory.longitude]
    return {
        **map_data.leaflet_options(),
        "dataUrl": reverse("map_features"),
        "params": urlencode({"territory": territory.slug}),
        "fitToResults": True,
        "fallbackCenter": fallback,
        "embed": False,
        "text": map_texts(),
    }


@register.simple_tag
def directory_map_options():
    """Every published initiative, clustered, for the home page's small map (map.js)."""
    return {
        **map_data.leaflet_options(),
        "dataUrl": reverse("map_features"),
        "params": "",
        "fitToResults": True,
        "embed": False,
        "text": map_texts(),
    }
