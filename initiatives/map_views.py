"""The map pages, the map's data endpoints and the location pickers' commune-centre lookup."""

import html

from csp.decorators import csp_replace
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from . import exports
from . import map as map_data
from .api_views import bad_request, directory_response, filtered_initiatives, json_response
from .models import Territory, Theme


def embed_title():
    return _("Map of social innovation initiatives — %(name)s") % {"name": settings.SITE_NAME}


@require_safe
def map_features(request):
    """GET /api/map/?bbox=west,south,east,north&zoom=0-20&<the list's filters>"""
    query = map_data.MapQueryForm(request.GET)
    filterset = filtered_initiatives(request)
    if not (query.is_valid() & filterset.is_valid()):
        return bad_request(map_data.error_messages(query, filterset.form))
    bbox, zoom = query.cleaned_data["bbox"], query.cleaned_data["zoom"]
    return directory_response(
        request,
        lambda: json_response(
            map_data.map_collection(filterset.qs, bbox, zoom), content_type=exports.GEOJSON
        ),
    )


@require_safe
def territory_centre(request, pk):
    """A territory's centre, public like the map: for the location pickers of the initiative
    admin form and of the proposal form."""
    territory = get_object_or_404(Territory, pk=pk)
    return JsonResponse(
        {"name": territory.name, "latitude": territory.latitude, "longitude": territory.longitude}
    )


class MapPage(TemplateView):
    embed = False

    def map_config(self):
        return {
            **map_data.leaflet_options(),
            "dataUrl": reverse("map_features"),
            "listUrl": reverse("initiative_list"),
            "mapUrl": self.request.build_absolute_uri(reverse("map")),
            "embedUrl": self.request.build_absolute_uri(reverse("map_embed")),
            "embedTitle": embed_title(),
            "params": self.request.GET.urlencode(),
            # A territory in the filters: open the map on its initiatives, or on its centre
            # when none of them has a point.
            "fitToResults": bool(self.request.GET.get("territory")),
            "fallbackCenter": self.chosen_territory_centre(),
            "embed": self.embed,
            "text": map_texts(),
        }

    def chosen_territory_centre(self):
        slug = self.request.GET.get("territory")
        if not slug:
            return None
        centre = (
            Territory.objects.filter(slug=slug, latitude__isnull=False)
            .values_list("latitude", "longitude")
            .first()
        )
        return list(centre) if centre else None

    def query_suffix(self):
        query = self.request.GET.urlencode()
        return f"?{query}" if query else ""

    def unlocated_query(self):
        """The current filters, narrowed to the initiatives that have no point."""
        query = self.request.GET.copy()
        query["located"] = "false"
        return query.urlencode()


class MapView(MapPage):
    """/carte/: the list's filters beside a full map; the same GET parameters as the list."""

    template_name = "initiatives/map.html"

    def get_context_data(self, **kwargs):
        filterset = filtered_initiatives(self.request)
        embed_url = self.request.build_absolute_uri(reverse("map_embed") + self.query_suffix())
        facets = filterset.facets()
        return super().get_context_data(
            filter=filterset,
            facets=facets,
            unlocated_count=facets.unlocated,
            legend_themes=Theme.objects.top_level(),
            list_url=reverse("initiative_list") + self.query_suffix(),
            unlocated_url=reverse("initiative_list") + "?" + self.unlocated_query(),
            share_url=self.request.build_absolute_uri(reverse("map") + self.query_suffix()),
            embed_code=embed_code(embed_url),
            map_config=self.map_config(),
            **kwargs,
        )


@method_decorator(xframe_options_exempt, name="dispatch")
@method_decorator(csp_replace({"frame-ancestors": settings.EMBED_FRAME_ANCESTORS}), name="dispatch")
class EmbedMapView(MapPage):
    """/carte/embed/: the bare map for partners' websites, the only page allowed in a frame."""

    template_name = "initiatives/map_embed.html"
    embed = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            map_config=self.map_config(),
            full_map_url=reverse("map") + self.query_suffix(),
            **kwargs,
        )


def embed_code(embed_url):
    return (
        f'<iframe src="{html.escape(embed_url)}" title="{html.escape(embed_title())}" '
        'width="100%" height="480" loading="lazy"></iframe>'
    )


def map_texts():
    """The few words the map's JavaScript shows, translated here; the JavaScript fills the
    %(count)s placeholders (map_common.js format())."""
    return {
        # Translators: always two initiatives or more, sharing one point of the map.
        "atThisPlace": _("%(count)s initiatives at this place"),
        # Translators: always two initiatives or more, grouped in one numbered map marker.
        "cluster": _("%(count)s initiatives here: zoom in"),
        "error": _("The map could not load the initiatives."),
        "noneInView": _("No matching initiative in this view."),
        "oneInView": _("1 matching initiative in this view:"),
        "inView": _("%(count)s matching initiatives in this view:"),
        # Translators: a button under the map; always two initiatives or more.
        "clusterInList": _("%(count)s initiatives close together: zoom in on them"),
        # Translators: after the count of the initiatives in view; the places are régions,
        # provinces or states, e.g. "3 outside this view: Québec, Rio Grande do Sul".
        "outside": _("%(count)s outside this view: %(places)s."),
        "outsideElsewhere": _("%(count)s outside this view: %(places)s and elsewhere."),
        "outsideUnnamed": _("%(count)s outside this view."),
        "badFilters": _("These filters are not valid:"),
    }
