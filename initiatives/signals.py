"""Initiatives count as updated when what their public pages show changes in another table.

The map's ETag (initiatives.map.data_version) reads the initiatives' latest updated_at, so
without this an added funder or a theme's new colour would keep old answers in shared caches.
Territory.save() does the same for places.
"""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete

from actors.models import Actor, Involvement

from .models import Initiative, Theme


def involvement_changed(sender, instance, **kwargs):
    Initiative.objects.filter(pk=instance.initiative_id).touch()


def actor_changed(sender, instance, created, **kwargs):
    if not created:
        Initiative.objects.filter(involvements__actor=instance).touch()


def theme_changed(sender, instance, **kwargs):
    themed = Theme.objects.filter(Q(pk=instance.pk) | Q(parent=instance.pk))
    Initiative.objects.filter(themes__in=themed).touch()


def connect():
    post_save.connect(involvement_changed, sender=Involvement, dispatch_uid="touch_involvement")
    post_delete.connect(
        involvement_changed, sender=Involvement, dispatch_uid="touch_involvement_del"
    )
    post_save.connect(actor_changed, sender=Actor, dispatch_uid="touch_actor")
    post_save.connect(theme_changed, sender=Theme, dispatch_uid="touch_theme")
    pre_delete.connect(theme_changed, sender=Theme, dispatch_uid="touch_theme_del")
