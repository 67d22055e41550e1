from django.core.management.base import BaseCommand
from django.db import transaction

from initiatives import counts, freshness
from initiatives.models import Initiative


class Command(BaseCommand):
    help = (
        "Rebuild every initiative's search document, the facet counts and the map's squares, "
        "and bump the directory version: after a refresh that failed (the logs say so), rows "
        "written outside Django, or an upgrade (the pages cached by the old code are then no "
        "longer served)."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            pks = set(Initiative.objects.values_list("pk", flat=True))
            # From nothing: rows written outside Django may have left the counts wrong.
            counts.rebuild()
            freshness.directory_changed(pks)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(pks)} search documents rebuilt, facets and map squares counted again."
            )
        )
