"""Store the outlines of existing territories from a GeoJSON file, simplified:

    python manage.py import_boundaries departements.geojson --kind departement --code-property code

Each feature names its territory by an official code (a property of the feature); features of
unknown territories are reported and skipped. Imports use the outlines to find an
initiative's département, or its commune, from its point (initiatives/imports/places.py).
Idempotent, in one transaction.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from initiatives.models import Territory, TerritoryBoundary

# About 100 m: outlines to place a point in a département or a commune, not to draw maps.
DEFAULT_TOLERANCE = 0.001


class Command(BaseCommand):
    help = "Store the simplified outlines of existing territories from a GeoJSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=Territory.Kind.values)
        parser.add_argument(
            "--code-property", default="code", help="The property holding the official code."
        )
        parser.add_argument("--country", default="FR")
        parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)

    def handle(self, *args, file, kind, code_property, country, tolerance, **options):
        from shapely.geometry import mapping, shape

        try:
            features = json.loads(file.read_text(encoding="utf-8"))["features"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(
                f"{file} is not a readable GeoJSON FeatureCollection: {error}"
            ) from error
        territories = {
            territory.code: territory
            for territory in Territory.objects.filter(kind=kind, country=country)
        }
        stored, unknown = [], []
        for feature in features:
            code = str((feature.get("properties") or {}).get(code_property, ""))
            territory = territories.get(code)
            if territory is None:
                unknown.append(code or "?")
                continue
            try:
                outline = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise CommandError(
                    f"The feature of {code} has no readable geometry: {error}"
                ) from error
            west, south, east, north = outline.bounds
            stored.append(
                TerritoryBoundary(
                    territory=territory,
                    geometry=mapping(outline),
                    west=west,
                    south=south,
                    east=east,
                    north=north,
                )
            )
        with transaction.atomic():
            TerritoryBoundary.objects.filter(territory__in=[b.territory for b in stored]).delete()
            TerritoryBoundary.objects.bulk_create(stored)
        self.stdout.write(
            self.style.SUCCESS(f"{len(stored)} outlines of {kind} stored.")
            + (f" Unknown codes, skipped: {', '.join(sorted(unknown))}." if unknown else "")
        )
