"""The map's data: clusters computed in the database and GeoJSON (RFC 7946) built from them.

Coordinates are always [longitude, latitude]. Clustering groups the matching initiatives on a
grid whose squares are about CELL_PIXELS (models.py) wide on screen at the requested zoom; a
square holding a single initiative, or several at one point (a tiers-lieu hosting five
projects), comes out as individual initiatives, any other square as one cluster with its count,
centroid and bounds.

Up to zoom MapCell.ZOOM, an answer covers whole squares of that zoom's grid (about 18 km): the
view is widened to the squares it touches. The published directory's squares are stored and
kept up to date by the write path (MapCell, initiatives/counts.py), so that its clusters are
grouped from the few thousand squares of the view at most, not from every point in it.
"""

import hashlib
import math
from operator import itemgetter

from django import forms
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from leaflet import app_settings as leaflet_settings

from . import freshness
from .models import MapCell, cell_size

MAX_ZOOM = 20
# From street level on, every initiative is its own feature: no clustering at all.
CLUSTER_BELOW_ZOOM = 17
# Initiatives sharing one point are listed one by one up to this many, then clustered.
STACK_LIMIT = 50
# No screen shows more grid squares than this (about 8,500 px square): a larger bbox for its
# zoom is refused, which also bounds the initiatives shown one by one.
MAX_GRID_SQUARES = 20_000
DEFAULT_COLOR = "#4a5568"
# Six decimals of a degree is about 10 cm: more would only weigh on the response.
DECIMALS = 6
# Bump when the shape of the responses changes, so that cached copies are refetched.
FORMAT_VERSION = 2
# At most this many places are named beside the count of the initiatives outside the view.
OUTSIDE_PLACES = 3


def shown_one_by_one(cell):
    """Whether a row of Initiative.objects.grid_cells() shows as individual initiatives: a
    single one, or a few at exactly one point (a cluster could not be split by zooming)."""
    if cell["count"] == 1:
        return True
    return (
        cell["west"] == cell["east"]
        and cell["south"] == cell["north"]
        and cell["count"] <= STACK_LIMIT
    )


class MapQueryForm(forms.Form):
    """The view parameters of /api/map/ (the filters are InitiativeFilter's)."""

    bbox = forms.CharField(
        help_text=_("west,south,east,north in degrees; west > east crosses longitude 180.")
    )
    zoom = forms.IntegerField(min_value=0, max_value=MAX_ZOOM)

    def clean_bbox(self):
        parts = self.cleaned_data["bbox"].split(",")
        try:
            west, south, east, north = (float(part) for part in parts)
        except ValueError:
            raise forms.ValidationError(
                _("bbox must be four numbers separated by commas: west,south,east,north."),
                code="format",
            ) from None
        if not all(math.isfinite(value) for value in (west, south, east, north)):
            raise forms.ValidationError(_("bbox values must be finite numbers."), code="format")
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise forms.ValidationError(
                _("bbox longitudes (west, east) must be between -180 and 180."), code="range"
            )
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise forms.ValidationError(
                _("bbox latitudes (south, north) must be between -90 and 90."), code="range"
            )
        if south > north:
            raise forms.ValidationError(
                _("bbox south must not be greater than north."), code="range"
            )
        return west, south, east, north

    def clean(self):
        bbox, zoom = self.cleaned_data.get("bbox"), self.cleaned_data.get("zoom")
        if bbox is None or zoom is None or zoom >= CLUSTER_BELOW_ZOOM:
            return self.cleaned_data
        west, south, east, north = bbox
        width = east - west if west <= east else east - west + 360
        size = cell_size(zoom)
        if (width / size + 1) * ((north - south) / size + 1) > MAX_GRID_SQUARES:
            self.add_error(
                "bbox",
                forms.ValidationError(
                    _("bbox is too large for zoom %(zoom)d: zoom in or send a smaller box."),
                    code="too_large",
                    params={"zoom": zoom},
                ),
            )
        return self.cleaned_data


def error_messages(*forms_with_errors):
    """{field: [messages]} from bound forms, for a 400 JSON answer."""
    errors = {}
    for form in forms_with_errors:
        for field, field_errors in form.errors.items():
            errors.setdefault(field, []).extend(str(message) for message in field_errors)
    return errors


def etag_for(version, full_path):
    """The ETag of a map answer: the directory version (DirectoryVersion) and the request."""
    fingerprint = f"{FORMAT_VERSION}|{version}|{full_path}"
    return f'"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'


def map_collection(initiatives, bbox, zoom):
    """A FeatureCollection of the initiatives with a point in bbox (up to MapCell.ZOOM, in the
    squares it touches), clustered for this zoom.

    Two queries whatever the number of initiatives: the grid squares, and the initiatives
    shown one by one (with their themes); where_they_are() adds two or three per filter and
    directory version. The counts of the features add up to `total`, the number of matching
    initiatives covered; `unlocated` counts those without a point and `outside` the others,
    with the places they are in.
    """
    squares = stored_squares(bbox) if zoom <= MapCell.ZOOM else None
    if squares:
        x_min, y_min, x_max, y_max = squares
        side = cell_size(MapCell.ZOOM)
        covered = (x_min * side, y_min * side, (x_max + 1) * side, (y_max + 1) * side)
        in_box = initiatives.in_bbox(*covered)
    else:
        in_box = initiatives.in_bbox(*bbox)
    if zoom >= CLUSTER_BELOW_ZOOM:
        clusters = []
        points = initiatives_with_themes(in_box)
    else:
        if squares and initiatives.is_published_directory():
            cells = grouped_squares(squares, zoom)
        else:
            cells = in_box.grid_cells(cell_size(zoom))
        # Sorted here, not by ORDER BY: PostgreSQL can then group the points in a hash table
        # instead of sorting them all (measured at 100,000 initiatives: 120 ms -> 75 ms).
        cells = sorted(cells, key=itemgetter("cell"))
        clusters = [cell for cell in cells if not shown_one_by_one(cell)]
        # A square shown one by one has a single point: fetch its initiatives through the
        # map's index by longitude, then keep the exact points.
        places = {(cell["west"], cell["south"]) for cell in cells if shown_one_by_one(cell)}
        points = []
        if places:
            nearby = in_box.filter(longitude__in={longitude for longitude, _ in places})
            points = [
                initiative
                for initiative in initiatives_with_themes(nearby)
                if (initiative["longitude"], initiative["latitude"]) in places
            ]
    features = [cluster_feature(cell) for cell in clusters] + [
        point_feature(initiative) for initiative in points
    ]
    collection = {"type": "FeatureCollection"}
    extent = collection_bbox(clusters, points)
    if extent:
        collection["bbox"] = extent
    collection["features"] = features
    collection["total"] = sum(cell["count"] for cell in clusters) + len(points)
    located, collection["unlocated"], places = where_they_are(initiatives)
    collection["outside"] = outside_view(located - collection["total"], places, bbox)
    return collection


def stored_squares(bbox):
    """(x_min, y_min, x_max, y_max): the columns and rows of the MapCell squares that bbox
    touches; None for a bbox crossing longitude 180, answered from the points themselves."""
    west, south, east, north = bbox
    if west > east:
        return None
    return tuple(MapCell.index_of(value) for value in (west, south, east, north))


def grouped_squares(squares, zoom):
    """Initiative.objects.published().grid_cells() at this zoom, over these squares, grouped
    from the stored squares (MapCell): a square at a lower zoom is exactly 2, 4, 8... of them
    on each side, the sides being powers of two apart. One query."""
    x_min, y_min, x_max, y_max = squares
    shift = MapCell.ZOOM - zoom
    cells_per_column = 2 * math.ceil(90 / cell_size(zoom)) + 2  # as in on_grid()
    cells = {}
    for square in MapCell.objects.filter(x__gte=x_min, x__lte=x_max, y__gte=y_min, y__lte=y_max):
        key = (square.x >> shift) * cells_per_column + (square.y >> shift)
        cell = cells.get(key)
        if cell is None:
            cells[key] = {
                "cell": key,
                "count": square.count,
                "sum_longitude": square.sum_longitude,
                "sum_latitude": square.sum_latitude,
                "west": square.west,
                "south": square.south,
                "east": square.east,
                "north": square.north,
            }
            continue
        cell["count"] += square.count
        cell["sum_longitude"] += square.sum_longitude
        cell["sum_latitude"] += square.sum_latitude
        cell["west"], cell["south"] = (
            min(cell["west"], square.west),
            min(cell["south"], square.south),
        )
        cell["east"], cell["north"] = (
            max(cell["east"], square.east),
            max(cell["north"], square.north),
        )
    for cell in cells.values():
        cell["center_longitude"] = cell.pop("sum_longitude") / cell["count"]
        cell["center_latitude"] = cell.pop("sum_latitude") / cell["count"]
    return list(cells.values())


def where_they_are(initiatives):
    """(how many have a point, how many have none, [the régions, provinces or states holding
    them, largest count first]) for these initiatives, whatever the view.

    From the cache while the directory has not changed, keyed on the filter (the queryset's
    SQL), so that panning the map costs no query here.
    """

    def count():
        located, unlocated = initiatives.count_points()
        places = [
            (place.name, place.latitude, place.longitude)
            for place, _count in initiatives.count_by_subterritory()
        ]
        return located, unlocated, places

    scope = hashlib.sha256(str(initiatives.order_by().query).encode()).hexdigest()
    return freshness.cached(f"map-places:{scope}", count)


def outside_view(count, places, bbox):
    """{"count": the matching initiatives outside bbox, "places": the first OUTSIDE_PLACES of
    the places holding some of them whose own point is outside bbox, "more": whether there are
    others}. A place's point stands for the place: one partly in view may go unnamed."""
    if count <= 0:
        return {"count": 0, "places": [], "more": False}
    west, south, east, north = bbox
    outside = [
        name
        for name, latitude, longitude in places
        if latitude is not None
        and not (
            south <= latitude <= north
            and (west <= longitude <= east if west <= east else not east < longitude < west)
        )
    ]
    return {
        "count": count,
        "places": outside[:OUTSIDE_PLACES],
        "more": len(outside) > OUTSIDE_PLACES,
    }


def initiatives_with_themes(initiatives):
    """Map-ready dicts of these initiatives, by name: one query, one row per theme (a LEFT
    JOIN, so initiatives without a theme come too); no per-row URL reversing."""
    rows = (
        initiatives.order_by("name", "pk")
        .values("pk", "slug", "name", "summary", "longitude", "latitude")
        .annotate(
            theme_name=theme_name_in_language(),
            theme_color=Coalesce("themes__parent__color", "themes__color"),
        )
        .order_by("name", "pk", "themes__position", "themes__name")
    )
    url_pattern = reverse("initiative_detail", args=["-slug-"])
    by_pk = {}
    for row in rows:
        initiative = by_pk.get(row["pk"])
        if initiative is None:
            initiative = by_pk[row["pk"]] = {
                "slug": row["slug"],
                "name": row["name"],
                "summary": row["summary"],
                "url": url_pattern.replace("-slug-", row["slug"]),
                "longitude": row["longitude"],
                "latitude": row["latitude"],
                "themes": [],
                "color": None,
            }
        if row["theme_name"] is not None:
            initiative["themes"].append(row["theme_name"])
            initiative["color"] = initiative["color"] or row["theme_color"]
    return list(by_pk.values())


def theme_name_in_language():
    """A theme's name as Theme.display_name gives it, for an initiative's row."""
    if get_language() == "en":
        return Coalesce(NullIf("themes__name_en", Value("")), "themes__name")
    return F("themes__name")


def point(longitude, latitude):
    return {"type": "Point", "coordinates": [round(longitude, DECIMALS), round(latitude, DECIMALS)]}


def point_feature(initiative):
    return {
        "type": "Feature",
        "id": initiative["slug"],
        "geometry": point(initiative["longitude"], initiative["latitude"]),
        "properties": {
            "cluster": False,
            "slug": initiative["slug"],
            "name": initiative["name"],
            "summary": initiative["summary"],
            "url": initiative["url"],
            "themes": initiative["themes"],
            "color": initiative["color"] or DEFAULT_COLOR,
        },
    }


def cluster_feature(cell):
    return {
        "type": "Feature",
        # The members' bounds, [west, south, east, north] (RFC 7946 §5): zoom there on click.
        "bbox": [round(cell[side], DECIMALS) for side in ("west", "south", "east", "north")],
        "geometry": point(cell["center_longitude"], cell["center_latitude"]),
        "properties": {"cluster": True, "count": cell["count"]},
    }


def collection_bbox(clusters, points):
    boxes = [(cell["west"], cell["south"], cell["east"], cell["north"]) for cell in clusters]
    boxes += [(p["longitude"], p["latitude"], p["longitude"], p["latitude"]) for p in points]
    if not boxes:
        return None
    west, south, east, north = zip(*boxes, strict=True)
    return [round(value, DECIMALS) for value in (min(west), min(south), max(east), max(north))]


def leaflet_options():
    """Tiles and view limits from LEAFLET_CONFIG, the single source of map settings, for the
    JavaScript modules (which read them from a json_script block)."""
    center = leaflet_settings["DEFAULT_CENTER"] or (46.6, 2.4)
    return {
        "tiles": [
            {"label": str(label), "url": url, "options": dict(options or {})}
            for label, url, options in leaflet_settings["TILES"]
        ],
        "attributionPrefix": leaflet_settings["ATTRIBUTION_PREFIX"],
        "center": list(center),
        "zoom": leaflet_settings["DEFAULT_ZOOM"] or 5,
        "minZoom": leaflet_settings["MIN_ZOOM"] or 0,
        "maxZoom": leaflet_settings["MAX_ZOOM"] or 18,
    }
