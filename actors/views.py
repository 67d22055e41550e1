"""Actors' pages: who carries, funds, supports and adopts what, and where.

Whom to contact at an actor is private: it lives in ActorContact, a table these views never
read (tests/test_security.py scans every public page for it).
"""

from django.db.models import Count
from django.views.generic import DetailView
from django_filters.views import FilterView

from initiatives.models import Initiative, Territory
from initiatives.views import LenientPaginationMixin

from .filters import ActorFilter
from .models import ROLE_HEADINGS, Actor, Involvement, group_by_role

PAGE_SIZE = 50


class ActorListView(LenientPaginationMixin, FilterView):
    filterset_class = ActorFilter
    strict = False
    paginate_by = PAGE_SIZE
    template_name = "actors/actor_list.html"

    def get_queryset(self):
        return (
            Actor.objects.public()
            .with_role_counts()
            .select_related("territory")
            .defer("description")
            .order_by("name")
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["data"] = self.request.GET
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        context.update(
            form=form,
            roles=[(role, ROLE_HEADINGS[role]) for role in Involvement.Role],
            role_labels=ROLE_HEADINGS,
            ignored_filters=[form[name] for name in form.errors],
        )
        return context


class ActorDetailView(DetailView):
    """What the actor carries, funds, supports and adopts, by role, and where: the régions its
    initiatives are located in and the territories they act in."""

    template_name = "actors/actor_detail.html"

    def get_queryset(self):
        return Actor.objects.public().select_related("territory")

    def get_context_data(self, **kwargs):
        involvements = list(
            self.object.involvements.public()
            .select_related("initiative__commune")
            .defer(*(f"initiative__{name}" for name in Initiative.LONG_TEXT_FIELDS))
            .order_by("initiative__name")
        )
        return super().get_context_data(
            roles=[item for item in group_by_role(involvements) if item[2]],
            regions=self.regions(involvements),
            action_territories=self.action_territories(involvements),
            initiative_count=len({i.initiative_id for i in involvements}),
            **kwargs,
        )

    def action_territories(self, involvements):
        """The territories where its initiatives act beyond their own place (a national
        network's France), each with how many of them act there: one query."""
        initiatives = {involvement.initiative_id for involvement in involvements}
        if not initiatives:
            return []
        return (
            Territory.objects.filter(acting_initiatives__in=initiatives)
            .annotate(count=Count("acting_initiatives", distinct=True))
            .order_by("-count", "name")
        )

    def regions(self, involvements):
        """[(région, count of initiatives located there)], largest first: one query."""
        paths = {}
        for involvement in involvements:
            commune = involvement.initiative.commune
            if commune is not None and commune.depth >= 1:
                region_path = "/".join(commune.path.split("/")[:2]) + "/"
                paths.setdefault(region_path, set()).add(involvement.initiative_id)
        if not paths:
            return []
        regions = Territory.objects.filter(path__in=paths)
        return sorted(
            ((region, len(paths[region.path])) for region in regions),
            key=lambda item: (-item[1], item[0].name),
        )
