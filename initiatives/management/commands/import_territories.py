"""Import France's régions, départements and communes from the INSEE COG CSV files:

    python manage.py import_territories [--cog-dir path/to/cog/]

By default, the COG 2026 files shipped with Essaim. See initiatives/territories.py.
"""

import time
from pathlib import Path

import reversion
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from initiatives.territories import SHIPPED_COG, CogError, TerritoryImport, read_cog


class Command(BaseCommand):
    help = (
        "Import France's régions, départements and communes from the INSEE COG CSV files "
        "(regions.csv, departements.csv, communes.csv). Only TYPECOM=COM communes are imported: "
        "communes déléguées, communes associées and the arrondissements of Paris, Lyon and "
        "Marseille are parts of a commune and are skipped. Existing territories are matched by "
        "code and keep their slug and centre. Idempotent, in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cog-dir",
            default=SHIPPED_COG,
            help="Folder holding regions.csv, departements.csv and communes.csv (or their "
            ".csv.gz); by default the COG 2026 files shipped with Essaim.",
        )

    def handle(self, *args, cog_dir, **options):
        start = time.monotonic()
        try:
            cog = read_cog(Path(cog_dir))
            with transaction.atomic(), reversion.create_revision():
                reversion.set_comment(
                    _("Territories imported from the COG files in %(folder)s.")
                    % {"folder": cog_dir}
                )
                counts = TerritoryImport().run(cog)
        except CogError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(cog.regions)} régions, {len(cog.departements)} départements and "
                f"{len(cog.communes)} communes in {time.monotonic() - start:.1f} s: "
                f"{counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
                + (f", {counts.moved_along} below them moved along." if counts.moved_along else ".")
            )
        )
