from django.urls import path

from . import map_views

urlpatterns = [
    path("carte/", map_views.MapView.as_view(), name="map"),
    path("carte/embed/", map_views.EmbedMapView.as_view(), name="map_embed"),
    path("api/map/", map_views.map_features, name="map_features"),
    path(
        "api/territoires/<int:pk>/centre/",
        map_views.territory_centre,
        name="territory_centre",
    ),
]
