from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from .filters import InitiativeFilter
from .models import Initiative, Territory, Theme


class HomeView(TemplateView):
    template_name = "initiatives/home.html"


class InitiativeListView(FilterView):
    filterset_class = InitiativeFilter
    paginate_by = 24
    template_name = "initiatives/initiative_list.html"

    def get_queryset(self):
        return Initiative.objects.published().select_related("commune")


class InitiativeDetailView(DetailView):
    template_name = "initiatives/initiative_detail.html"

    def get_queryset(self):
        return Initiative.objects.published()


class TerritoryListView(ListView):
    template_name = "initiatives/territory_list.html"

    def get_queryset(self):
        return Territory.objects.filter(parent__isnull=True)


class TerritoryDetailView(DetailView):
    model = Territory
    template_name = "initiatives/territory_detail.html"


class ThemeListView(ListView):
    template_name = "initiatives/theme_list.html"

    def get_queryset(self):
        return Theme.objects.top_level().prefetch_related("children")


class ThemeDetailView(DetailView):
    model = Theme
    template_name = "initiatives/theme_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(Theme, slug=self.kwargs["slug"])
