from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Essaim — curators' administration")
admin.site.site_title = _("Essaim administration")
admin.site.index_title = _("Directory content")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("initiatives.urls")),
    path("", include("initiatives.map_urls")),
    path("", include("actors.urls")),
    path("", include("evaluation.urls")),
]
