from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from . import views

# The public site in French at /, in English at /en/: a language is a link, not a form with a
# cookie, so public pages stay cacheable (config/middleware.py).
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    *i18n_patterns(
        path("", include("initiatives.urls")),
        path("", include("initiatives.map_urls")),
        path("", include("actors.urls")),
        path("", include("evaluation.urls")),
        prefix_default_language=False,
    ),
]

handler500 = "config.views.server_error"
