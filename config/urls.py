from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from actors.sitemaps import ActorSitemap
from initiatives import sitemaps

from . import site, views

SITEMAPS = {
    "pages": sitemaps.PageSitemap,
    "initiatives": sitemaps.InitiativeSitemap,
    "territories": sitemaps.TerritorySitemap,
    "themes": sitemaps.ThemeSitemap,
    "actors": ActorSitemap,
}

# The public site in French at /, in English at /en/: a language is a link, not a form with a
# cookie, so public pages stay cacheable (config/middleware.py).
urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # An index of one sitemap per kind of page, each split in pages of 50,000 addresses.
    path("site.css", site.stylesheet, name="site_stylesheet"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    *i18n_patterns(
        path("", include("initiatives.urls")),
        path("", include("initiatives.map_urls")),
        path("", include("initiatives.api_urls")),
        path("", include("actors.urls")),
        path("", include("evaluation.urls")),
        prefix_default_language=False,
    ),
]

if settings.DEBUG:
    # `make run`: uploaded images from MEDIA_ROOT (in production, nginx or object storage).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if settings.BENCHMARK:
    urlpatterns.append(path("bench/floor", views.floor))

handler500 = "config.views.server_error"
