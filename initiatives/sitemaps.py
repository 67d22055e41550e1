"""sitemap.xml: the pages search engines should know, in French and in English."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from .models import Initiative, Territory, Theme


class DirectorySitemap(Sitemap):
    # Each page in every language of settings.LANGUAGES, with the others as alternates.
    i18n = True
    alternates = True
    x_default = True


class PageSitemap(DirectorySitemap):
    def items(self):
        return ["home", "initiative_list", "map", "territory_list", "theme_list", "actor_list",
                "api"]  # fmt: skip

    def location(self, item):
        return reverse(item)


class InitiativeSitemap(DirectorySitemap):
    def items(self):
        return Initiative.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, initiative):
        return initiative.updated_at


class TerritorySitemap(DirectorySitemap):
    def items(self):
        """The territories holding published initiatives: of 35,000 communes, those with a
        page worth reading."""
        located = Initiative.objects.published().filter(commune__path__startswith=OuterRef("path"))
        return Territory.objects.filter(Exists(located)).only("slug").order_by("pk")


class ThemeSitemap(DirectorySitemap):
    def items(self):
        return Theme.objects.only("slug").order_by("pk")
