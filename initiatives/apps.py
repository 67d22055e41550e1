from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives")

    def ready(self):
        from . import freshness, history
        from .models import Initiative, Territory, Theme

        request_started.connect(freshness.start_request, dispatch_uid="version_per_request")
        request_finished.connect(freshness.end_request, dispatch_uid="version_per_request")
        freshness.watch(Initiative, lambda initiative: [initiative.pk])
        freshness.watch(Territory, Territory.named_initiatives)
        freshness.watch(Theme, Theme.named_initiatives)
        freshness.watch_m2m(Initiative.themes)
        freshness.watch_m2m(Initiative.action_territories)
        history.keep_counting_edits(Initiative)
        pre_save.connect(
            keep_the_tree, sender=Territory, weak=False, dispatch_uid="territory_raw_tree"
        )


def keep_the_tree(sender, instance, raw, using, **kwargs):
    if raw:
        instance.place_in_tree_before_raw_save(using)
