"""The public directory: home, the filtered list, an initiative, territories and themes.

Every page runs a fixed number of queries whatever the number of rows (tests/test_query_counts.py).
"""

import json

from django.conf import settings
from django.core.paginator import EmptyPage, Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Exists, OuterRef, QuerySet, prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from actors.models import Actor, Involvement, group_by_role
from evaluation.models import Assessment

from . import counts, freshness
from .contributions import (
    ActorRows,
    CorrectionForm,
    ProposalForm,
    commune_label,
    over_rate_limit,
    save_correction,
    save_proposal,
)
from .filters import SORT_CHOICES, InitiativeFilter
from .links import linkable
from .models import (
    COMMUNE_KINDS,
    Correction,
    Initiative,
    LegalNotice,
    Proposal,
    Territory,
    Theme,
    card_themes,
    is_curator,
)
from .search import NameFirst

PAGE_SIZE = 24
RECENT_COUNT = 6
# Suggestions the proposal form's autocompletes offer at once.
SUGGESTIONS = 10
# Territories found by the territories page's search.
TERRITORY_RESULTS = 50
# A territory's page lists its territories with the most initiatives (a département's
# communes holding some are hundreds in a large directory); "all" lists every one.
CHILDREN_SHOWN = 30
# Networks acting in a territory are listed, not paginated: a national network acts in every
# département, so the list is capped.
ACTING_LIMIT = 50

# What json_script escapes, for a JSON-LD block that must keep its own type.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


class LenientPaginationMixin:
    """For list views: a page number past the end gives the last page, and one that is not a
    number the first (Paginator.get_page), instead of a 404."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size)
        count = self.stored_count(queryset)
        if count is not None:
            paginator.count = count  # instead of counting the rows
        page = paginator.get_page(self.request.GET.get("page"))
        return page.paginator, page, page.object_list, page.has_other_pages()

    def stored_count(self, queryset):
        """How many rows the queryset lists, when it is known without counting them."""
        return None


class ResultsPaginator(Paginator):
    """The pages of the initiative list.

    A page's rows are chosen on the initiatives' own columns, then read with what they
    select_related: PostgreSQL would otherwise join every match of a search with its commune
    before sorting them all by relevance (about 280 -> 95 ms for a common word at 100,000
    initiatives).

    When the count is an estimate (counts.Estimate), the last page is not known: a page reads
    one row more than it shows, to know whether another follows, and a page past the
    estimated last one may still hold results.
    """

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if not isinstance(self.count, counts.Estimate) or int(number) < 1:
                raise
            return int(number)  # past the estimate: let the page tell

    def page(self, number):
        number = self.validate_number(number)
        if not isinstance(self.count, counts.Estimate):
            page = super().page(number)
            page.object_list = self.narrow(page.object_list)
            return page
        start = (number - 1) * self.per_page
        rows = list(self.narrow(self.object_list[start : start + self.per_page + 1]))
        return EstimatedPage(rows[: self.per_page], number, self, len(rows) > self.per_page)

    def narrow(self, rows):
        if isinstance(self.object_list, QuerySet):
            return self.object_list.filter(pk__in=rows.values("pk"))
        return rows  # search.NameFirst reads its pages narrowly itself


class EstimatedPage(Page):
    """A page of results whose count is an estimate: whether another follows was read."""

    def __init__(self, object_list, number, paginator, followed):
        super().__init__(object_list, number, paginator)
        self.followed = followed

    def has_next(self):
        return self.followed


class HomeView(TemplateView):
    template_name = "initiatives/home.html"

    def get_context_data(self, **kwargs):
        # Counts over the whole directory, the same for every visitor until the next write.
        return super().get_context_data(
            **freshness.cached("home", self.directory_figures), **kwargs
        )

    @staticmethod
    def directory_figures():
        published = Initiative.objects.published()
        totals = {
            "initiatives": counts.total(),
            "territories": counts.values_counted("commune"),
            # The actors involved in a published initiative, as Actor.objects.public().
            "actors": counts.values_counted("actor"),
        }
        return {
            "themes": list(Theme.objects.with_counts()),
            "countries": Territory.objects.grouped_by_country(published.count_by_subterritory()),
            "recent": list(
                published.with_card_data().order_by("-published_at", "name")[:RECENT_COUNT]
            ),
            "totals": totals,
        }


class InitiativeListView(LenientPaginationMixin, FilterView):
    """The list: every filter a GET parameter, with facet counts beside the options.

    Invalid parameters are reported and ignored (strict = False); a page past the end shows
    the last page.
    """

    filterset_class = InitiativeFilter
    strict = False
    paginate_by = PAGE_SIZE
    paginator_class = ResultsPaginator
    template_name = "initiatives/initiative_list.html"

    def get_queryset(self):
        # `evaluated`: whether the card offers "Compare" (evaluation/views.py compares the
        # published assessments).
        published = Assessment.objects.published().filter(initiative=OuterRef("pk"))
        return (
            Initiative.objects.listed_for(self.request.user, self.request.GET.get("status"))
            .with_card_data()
            .annotate(evaluated=Exists(published))
            .order_by("name", "pk")
        )

    def stored_count(self, queryset):
        # Counted with the facets: an estimate when the results are many (counts.tally()).
        return self.filterset.facets().total

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.filterset.too_many_to_rank():
            words = self.filterset.form.cleaned_data["q"]
            queryset = NameFirst(queryset, words, self.filterset.facets().total)
        return super().get_paginator(queryset, per_page, **kwargs)

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so that an empty query string is a valid, empty set of filters.
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["data"] = self.filter_data()
        return kwargs

    def filter_data(self):
        return self.request.GET

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        searching = bool(form.cleaned_data.get("q"))
        context.update(
            form=form,
            facets=self.filterset.facets(),
            sort_choices=self.sort_choices(searching),
            current_sort=form.cleaned_data.get("sort") or "",
            suggested_search=(
                Initiative.objects.published().suggested_search(form.cleaned_data["q"])
                if searching and not context["paginator"].count
                else None
            ),
            ignored_filters=[form[name] for name in form.errors],
            # e.g. territory[]=x: said, so that a mistyped link does not pass for no filter.
            unknown_parameters=sorted(
                set(self.request.GET) - self.filterset.parameter_names() - {"page", "status"}
            ),
            map_url=reverse("map"),
            # The map takes the same filters; the theme page's theme is in its path.
            map_query=self.filter_data(),
            # Too many to rank by relevance: those with the words in their names first.
            names_first=self.filterset.too_many_to_rank(),
            showing_archived=self.request.GET.get("status") == Initiative.Status.ARCHIVED
            and is_curator(self.request.user),
        )
        return context

    @staticmethod
    def sort_choices(searching):
        """The sort menu. Its first option, the default order, sends no value: relevance
        when there are words to search, the name otherwise. So a visitor who types words
        after the list was shown by name gets them by relevance, unless they chose an order."""
        labels = dict(SORT_CHOICES)
        by_date = [("newest", labels["newest"]), ("oldest", labels["oldest"])]
        if searching:
            return [("", labels["relevance"]), ("name", labels["name"]), *by_date]
        return [("", labels["name"]), *by_date]


class ThemeDetailView(InitiativeListView):
    """A theme's page: its initiatives (sub-themes included), with the other filters."""

    template_name = "initiatives/theme_detail.html"

    @cached_property
    def theme(self):
        """The theme, as the filter form looked it up (with its parent, for the breadcrumb)."""
        self.filterset.is_valid()  # fills the form's cleaned_data
        themes = self.filterset.form.cleaned_data.get("theme")
        if not themes:
            raise Http404("No theme has this slug.")
        return themes[0]

    def filter_data(self):
        data = self.request.GET.copy()
        data.setlist("theme", [self.kwargs["slug"]])
        return data

    def get_context_data(self, **kwargs):
        theme = self.theme  # a 404 before anything is counted
        context = super().get_context_data(**kwargs)
        family = next((t for t in context["facets"].themes if t.pk == theme.pk), None)
        context.update(theme=theme, subthemes=family.subthemes if family else [])
        return context


class InitiativeDetailView(DetailView):
    template_name = "initiatives/initiative_detail.html"

    def get_queryset(self):
        return Initiative.objects.visible_to(self.request.user).select_related(
            "commune", "replicated_from"
        )

    def get_context_data(self, **kwargs):
        initiative = self.object
        themes = list(initiative.themes.all())
        involvements = list(initiative.involvements.select_related("actor"))
        by_role = group_by_role(involvements)
        places, action_territories = Territory.objects.around(initiative)
        origin = initiative.replicated_from
        return super().get_context_data(
            initiative=initiative,
            themes=themes,
            places=places,
            action_territories=action_territories,
            roles=[(role, heading, items) for role, heading, items in by_role if items],
            replicated_from=origin if origin and origin.is_public else None,
            replications=list(initiative.replications.published().order_by("name")),
            related=Initiative.objects.published().related_to(
                initiative, [theme.pk for theme in themes]
            ),
            json_ld=self.json_ld(initiative, themes, involvements),
            absolute_url=self.request.build_absolute_uri(initiative.get_absolute_url()),
            **kwargs,
        )

    def json_ld(self, initiative, themes, involvements):
        """schema.org description of the initiative, for search engines and link previews."""
        absolute = self.request.build_absolute_uri
        data = {
            "@context": "https://schema.org",
            "@type": "Project",
            "name": initiative.name,
            "description": initiative.summary,
            "url": absolute(initiative.get_absolute_url()),
            "keywords": ", ".join(theme.name for theme in themes),
            "dateModified": initiative.updated_at,
        }
        if linkable(initiative.website):
            data["sameAs"] = initiative.website
        if initiative.year_started:
            data["foundingDate"] = str(initiative.year_started)
        if initiative.commune_id:
            data["address"] = {
                "@type": "PostalAddress",
                "streetAddress": initiative.address,
                "addressLocality": initiative.commune.name,
                "addressCountry": initiative.commune.country,
            }
        if initiative.latitude is not None:
            data["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": initiative.latitude,
                "longitude": initiative.longitude,
            }
        funders = [i.actor for i in involvements if i.role == Involvement.Role.FUNDER]
        if funders:
            data["funder"] = [
                {
                    "@type": "Organization",
                    "name": actor.name,
                    "url": absolute(actor.get_absolute_url()),
                }
                for actor in funders
            ]
        text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
        return mark_safe(text.translate(JSON_SCRIPT_ESCAPES))  # escaped just above


class TerritoryListView(TemplateView):
    """The régions (and provinces, states) holding initiatives, by country."""

    template_name = "initiatives/territory_list.html"

    def get_context_data(self, **kwargs):
        show_all = "all" in self.request.GET
        region_counts = Initiative.objects.published().count_by_subterritory()
        if show_all:
            count_by_pk = {territory.pk: count for territory, count in region_counts}
            regions = Territory.objects.filter(depth=1).select_related("parent").order_by("name")
            region_counts = [(region, count_by_pk.get(region.pk, 0)) for region in regions]
        query = self.request.GET.get("q", "").strip()[:100]
        return super().get_context_data(
            countries=Territory.objects.grouped_by_country(region_counts, every_country=True),
            show_all=show_all,
            query=query,
            found=(
                counts.with_counts(
                    Territory.objects.named_like(query).select_related("parent")
                ).order_by("depth", "name")[:TERRITORY_RESULTS]
                if query
                else None
            ),
            **kwargs,
        )


class TerritoryDetailView(LenientPaginationMixin, ListView):
    """A territory: where it sits, its sub-territories, the initiatives located in it, and the
    networks acting in it from elsewhere."""

    template_name = "initiatives/territory_detail.html"
    paginate_by = PAGE_SIZE

    @cached_property
    def territory(self):
        return get_object_or_404(Territory, slug=self.kwargs["slug"])

    def get_queryset(self):
        # The cards' themes are read in get_context_data(), with those of the initiatives
        # acting here from elsewhere: one query for both lists.
        return (
            Initiative.objects.published()
            .located_in(self.territory)
            .with_card_fields()
            .order_by("name", "pk")
        )

    def stored_count(self, queryset):
        return counts.count_of("territory", self.territory.path)

    def get_context_data(self, **kwargs):
        territory = self.territory
        published = Initiative.objects.published()
        show_all = "all" in self.request.GET
        children = published.count_by_subterritory(territory)
        other_children = 0
        if show_all:
            count_by_pk = {child.pk: count for child, count in children}
            children = [
                (child, count_by_pk.get(child.pk, 0))
                for child in territory.children.order_by("name")
            ]
        else:
            other_children = max(len(children) - CHILDREN_SHOWN, 0)
            children = children[:CHILDREN_SHOWN]
        # Those located here are left out row by row, rather than through a list of every
        # initiative located here (19,000 in a département at 1,000,000) to leave out a few.
        acting = (
            published.filter(pk__in=published.acting_in(territory).values("pk"))
            .exclude(commune__path__startswith=territory.path)
            .with_card_fields()
            .order_by("name")
        )
        acting = list(acting[:ACTING_LIMIT])
        context = super().get_context_data(
            territory=territory,
            ancestors=list(Territory.objects.ancestors_of(territory).exclude(pk=territory.pk)),
            children=children,
            other_children=other_children,
            show_all=show_all,
            has_children=bool(children) or show_all,
            acting=acting,
            acting_limit=ACTING_LIMIT,
            **kwargs,
        )
        page = context["page_obj"]
        page.object_list = context["object_list"] = list(page.object_list)
        prefetch_related_objects(page.object_list + acting, card_themes())
        return context


class ThemeListView(TemplateView):
    template_name = "initiatives/theme_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(themes=Theme.objects.with_counts(), **kwargs)


@method_decorator(never_cache, name="dispatch")
class ProposeView(TemplateView):
    """/proposer/: anyone proposes an initiative, without an account (contributions.py)."""

    template_name = "initiatives/propose.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            retention_days=settings.CONTRIBUTOR_DATA_RETENTION_DAYS,
            notice=LegalNotice.objects.first(),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=ProposalForm(), actors=ActorRows(prefix="actors"))
        )

    def post(self, request, *args, **kwargs):
        form = ProposalForm(request.POST)
        actors = ActorRows(request.POST, prefix="actors")
        if form.is_valid() & actors.is_valid():
            if over_rate_limit(request, "proposals", settings.PROPOSAL_RATE_LIMIT):
                form.add_error(
                    None,
                    _(
                        "Too many proposals from your address: at most %(rate)s. Keep this page "
                        "open and send it again later."
                    )
                    % {"rate": settings.PROPOSAL_RATE_LIMIT},
                )
                return self.render_to_response(
                    self.get_context_data(form=form, actors=actors), status=429
                )
            proposal = save_proposal(
                form,
                [row.cleaned_data for row in actors],
                lambda proposal: request.build_absolute_uri(proposal.get_absolute_url()),
            )
            return redirect("proposal_sent", proposal.token)
        return self.render_to_response(self.get_context_data(form=form, actors=actors), status=400)


@method_decorator(never_cache, name="dispatch")
class ProposalStatusView(DetailView):
    """A proposal's status, behind the private link its contributor got (and, right after
    sending, the confirmation). It shows neither the contributor's name nor e-mail."""

    model = Proposal
    slug_field = "token"
    slug_url_kwarg = "token"
    context_object_name = "proposal"
    template_name = "initiatives/proposal_status.html"
    just_sent = False

    def get_queryset(self):
        return Proposal.objects.select_related("initiative", "merged_into")

    def get_context_data(self, **kwargs):
        return super().get_context_data(just_sent=self.just_sent, **kwargs)


@require_safe
def commune_suggestions(request):
    """The proposal form's commune autocomplete: at most 10 communes whose name (or code)
    starts with `q`, each labelled "Saint-Denis (93)". One indexed prefix query."""
    communes = Territory.objects.filter(kind__in=COMMUNE_KINDS).named_like(request.GET.get("q", ""))
    return JsonResponse(
        {
            "results": [
                {"id": commune.pk, "label": commune_label(commune)}
                for commune in communes.order_by("name", "code")[:SUGGESTIONS]
            ]
        }
    )


@require_safe
def actor_suggestions(request):
    """The proposal form's actor autocomplete: at most 10 public actors whose name holds `q`."""
    text = request.GET.get("q", "").strip()[:100]
    actors = Actor.objects.public().filter(name__icontains=text) if len(text) >= 2 else []
    return JsonResponse(
        {"results": [{"label": actor.name} for actor in actors.order_by("name")[:SUGGESTIONS]]}
    )


class LegalNoticeView(TemplateView):
    template_name = "legal_notice.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(notice=LegalNotice.objects.first(), **kwargs)


class PrivacyView(TemplateView):
    template_name = "privacy.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            retention_days=settings.CONTRIBUTOR_DATA_RETENTION_DAYS,
            notice=LegalNotice.objects.first(),
            **kwargs,
        )


@method_decorator(never_cache, name="dispatch")
class CorrectView(TemplateView):
    """/initiatives/<slug>/corriger/: anyone suggests a change to a published initiative's
    public fields, with a comment; a curator accepts or rejects it (contributions.py)."""

    template_name = "initiatives/correct.html"

    def dispatch(self, request, *args, **kwargs):
        self.initiative = get_object_or_404(Initiative.objects.published(), slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form, **kwargs):
        return super().get_context_data(
            form=form,
            initiative=self.initiative,
            initiative_fields=[form[name] for name in Correction.FIELDS],
            retention_days=settings.CONTRIBUTOR_DATA_RETENTION_DAYS,
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            if over_rate_limit(request, "corrections", settings.CORRECTION_RATE_LIMIT):
                form.add_error(
                    None,
                    _(
                        "Too many corrections from your address: at most %(rate)s. Keep this "
                        "page open and send it again later."
                    )
                    % {"rate": settings.CORRECTION_RATE_LIMIT},
                )
                return self.render_to_response(self.get_context_data(form=form), status=429)
            save_correction(form, self.initiative)
            return redirect("correction_sent", self.initiative.slug)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form(self, data=None):
        # A copy: validating the form writes the suggested values into its instance.
        copy = Initiative.objects.get(pk=self.initiative.pk)
        return CorrectionForm(data, instance=copy)


class CorrectionSentView(DetailView):
    template_name = "initiatives/correction_sent.html"
    context_object_name = "initiative"

    def get_queryset(self):
        return Initiative.objects.published()
