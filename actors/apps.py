from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = _("Actors")

    def ready(self):
        from initiatives import freshness, history

        from .models import Actor, Involvement

        freshness.watch(Actor, Actor.named_initiatives)
        freshness.watch(Involvement, lambda involvement: [involvement.initiative_id])
        history.keep_counting_edits(Actor)
