from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives")

    def ready(self):
        from . import freshness, history
        from .models import Initiative, Territory, Theme

        freshness.watch(Initiative, lambda initiative: [initiative.pk])
        freshness.watch(Territory, Territory.named_initiatives)
        freshness.watch(Theme)
        freshness.watch_m2m(Initiative.themes)
        freshness.watch_m2m(Initiative.action_territories)
        history.keep_counting_edits(Initiative)
