from initiatives.sitemaps import DirectorySitemap

from .models import Actor


class ActorSitemap(DirectorySitemap):
    def items(self):
        return Actor.objects.public().only("slug").order_by("pk")
