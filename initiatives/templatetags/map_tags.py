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
def clustered_map_options(territory=None):
    """The clustered initiatives located in the territory, or all of them, for
    static/js/map.js."""
    fallback = None
    if territory and territory.latitude is not None:
        fallback = [territory.latitude, territory.longitude]
    return {
        **map_data.leaflet_options(),
        "dataUrl": reverse("map_features"),
        "params": urlencode({"territory": territory.slug}) if territory else "",
        "fitToResults": True,
        "fallbackCenter": fallback,
        "embed": False,
        "text": map_texts(),
    }
