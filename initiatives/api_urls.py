from django.urls import path

from . import api_views

urlpatterns = [
    path("api/", api_views.ApiView.as_view(), name="api"),
    path("api/openapi.json", api_views.openapi_description, name="api_openapi"),
    path("api/initiatives.csv", api_views.initiatives_csv, name="initiatives_csv"),
    path("api/initiatives.xlsx", api_views.initiatives_xlsx, name="initiatives_xlsx"),
    path("api/initiatives.json", api_views.initiatives_json, name="initiatives_json"),
    path("api/initiatives.geojson", api_views.initiatives_geojson, name="initiatives_geojson"),
    path("api/gogocarto.json", api_views.initiatives_gogocarto, name="initiatives_gogocarto"),
]
