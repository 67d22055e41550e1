"""Actors' pages: who carries, funds, supports and adopts what, and where.

Whom to contact at an actor is private: it lives in ActorContact, a table these views never
read (tests/test_security.py scans every public page for it).
"""

from django.db.models import Count
from django.views.generic import DetailView
from django_filters.views import FilterView

from initiatives import counts
from initiatives.models import Initiative, Territory
from initiatives.queries import rows_of_slices
from initiatives.views import LenientPaginationMixin

from .filters import ActorFilter
from .models import ROLE_HEADINGS, Actor, Involvement, group_by_role

# Initiatives listed per role on an actor's page, the latest; the filtered list has all of
# them.
SHOWN_PER_ROLE = 50

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
    initiatives are located in and the territories they act in.

    Bounded at any size: a funder of thousands of initiatives shows the latest SHOWN_PER_ROLE
    of each role, with how many there are and a link to all of them in the filtered list.
    """

    template_name = "actors/actor_detail.html"

    def get_queryset(self):
        return Actor.objects.public().select_related("territory")

    def get_context_data(self, **kwargs):
        involvements = self.object.involvements.public()
        # The counts of the published directory, kept by the write path: a funder of tens of
        # thousands of initiatives costs a few rows, not a pass over them.
        initiative_count, role_counts = counts.actor_counts(self.object)
        # The latest SHOWN_PER_ROLE of each role the actor plays, through its involvements'
        # index by role and recording: as few rows for a funder of thousands as for a small
        # actor. (The first by name would sort all of a funder's.)
        latest = rows_of_slices(
            involvements.filter(role=role).order_by("-pk").values_list("pk")[:SHOWN_PER_ROLE]
            for role in Involvement.Role.values
            if role_counts.get(role)
        )
        shown = (
            Involvement.objects.filter(pk__in=[pk for (pk,) in latest])
            .select_related("initiative__commune")
            .defer(*(f"initiative__{name}" for name in Initiative.LONG_TEXT_FIELDS))
            .order_by("-pk")
        )
        initiatives = Initiative.objects.published().filter(
            pk__in=involvements.values("initiative")
        )
        return super().get_context_data(
            roles=[
                (role, heading, rows, role_counts.get(role, 0))
                for role, heading, rows in group_by_role(list(shown))
                if rows
            ],
            regions=counts.actor_regions(self.object),
            action_territories=(
                Territory.objects.filter(acting_initiatives__in=initiatives)
                .annotate(count=Count("acting_initiatives", distinct=True))
                .order_by("-count", "name")[:SHOWN_PER_ROLE]
            ),
            initiative_count=initiative_count,
            **kwargs,
        )
