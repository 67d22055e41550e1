"""The location picker: django-leaflet's Leaflet without GeoDjango (no GDAL)."""

from django import forms
from django.forms import Script
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _

from . import map as map_data
from .models import FAR_FROM_COMMUNE_KM


class LocationPickerWidget(forms.NumberInput):
    """The longitude input followed by a map that fills both coordinate fields of its form.

    Click the map or drag the marker to set the point; typing coordinates moves the marker;
    "Clear" empties both fields. When the commune field names a commune with a centre (from the
    territory_centre endpoint) and no point is set, the map shows it and a button offers it.
    """

    class Media:
        css = {"all": ["leaflet/leaflet.css", "css/map.css"]}
        js = ["leaflet/leaflet.js", Script("js/location_picker.js", type="module")]

    def __init__(self, attrs=None, latitude_field="latitude", commune_field="commune"):
        super().__init__(attrs)
        self.latitude_field = latitude_field
        self.commune_field = commune_field

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        config_id = f"{(attrs or {}).get('id') or name}-location-picker"
        config = {
            **map_data.leaflet_options(),
            "latitudeField": self.latitude_field,
            "longitudeField": name,
            "communeField": self.commune_field,
            "communeCentreUrl": reverse("territory_centre", args=[0]).replace("/0/", "/{id}/"),
            "farFromCommuneKm": FAR_FROM_COMMUNE_KM,
            "text": {
                # Translators: a button; location_picker.js fills in the commune.
                "useCommune": _("Use the centre of %(name)s (%(latitude)s, %(longitude)s)"),
                "failed": _("The commune's centre could not be loaded."),
                # Translators: location_picker.js fills in the distance and the commune.
                "far": _(
                    "This point is %(distance)s km from the centre of %(name)s: check it, it "
                    "may be in another département."
                ),
            },
        }
        return format_html(
            '{field}<div class="location-picker" data-location-picker="{config_id}">'
            '<div class="location-picker-map" aria-label="{map_label}" role="region"></div>'
            '<p class="location-picker-actions">'
            '<button type="button" class="button" data-location-clear>{clear}</button> '
            '<button type="button" class="button" data-location-commune hidden></button>'
            "</p>"
            '<p class="help">{help}</p>'
            '<p class="help" data-location-status role="status" aria-live="polite"></p>'
            "</div>{config}",
            field=field,
            config_id=config_id,
            map_label=_("Map to set the initiative's point"),
            clear=_("Clear the point"),
            help=_(
                "Click the map or drag the marker to set the latitude and longitude; "
                "typing coordinates moves the marker."
            ),
            config=json_script(config, config_id),
        )
