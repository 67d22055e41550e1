"""Territorial curators in the admin: each admin of what belongs to initiatives shows, edits,
moderates and publishes only what its curator's territories hold (models.curated_paths).

`TerritoryScopedAdmin` filters the admin's queryset, so that its lists, its bulk actions, its
change pages, its history and any guessed address reach nothing else; it limits the
initiatives a form may choose; and it keeps the recovery of deleted rows, which a territory
cannot be checked on, to national curators.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import Initiative, curated_paths


class TerritoryScopedAdmin:
    # How the admin's model reaches its initiative: "pk" for initiatives themselves.
    initiative_lookup = "initiative"

    def get_queryset(self, request):
        return self.scoped(super().get_queryset(request), request.user)

    def scoped(self, queryset, user):
        if curated_paths(user) is None:
            return queryset
        return queryset.filter(
            **{f"{self.initiative_lookup}__in": Initiative.objects.curated_by(user).values("pk")}
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "initiative" and curated_paths(request.user) is not None:
            kwargs["queryset"] = Initiative.objects.curated_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def in_scope(self, request, object_id):
        return self.get_queryset(request).filter(pk=unquote(object_id)).exists()

    # The history views of django-reversion read versions by their ids, not through the
    # queryset: check the object first.
    def revision_view(self, request, object_id, version_id, extra_context=None):
        if not self.in_scope(request, object_id):
            raise Http404
        return super().revision_view(request, object_id, version_id, extra_context)

    def compare_view(self, request, object_id):
        if not self.in_scope(request, object_id):
            raise Http404
        return super().compare_view(request, object_id)

    def recoverlist_view(self, request, extra_context=None):
        if curated_paths(request.user) is not None:
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if curated_paths(request.user) is not None:
            raise PermissionDenied
        return super().recover_view(request, version_id, extra_context)
