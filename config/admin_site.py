from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class EssaimAdminSite(admin.AdminSite):
    site_header = _("Essaim — curators' administration")
    site_title = _("Essaim administration")
    index_title = _("Directory content")

    def index(self, request, extra_context=None):
        from initiatives.models import Initiative

        # What needs a curator's attention, above the list of models (one indexed count).
        context = {"stale_count": Initiative.objects.stale().count(), **(extra_context or {})}
        return super().index(request, context)
