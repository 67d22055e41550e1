from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from evaluation.importers import import_observations


class Command(BaseCommand):
    help = (
        "Import indicator observations from a CSV file (columns: initiative or territory, "
        "indicator, period, value, source, note). All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report, save nothing."
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        result = import_observations(content, dry_run=dry_run, file_name=file.name)
        if not result.ok:
            # The curators read these: the same words as the admin's import page.
            for line, message in result.errors:
                self.stderr.write(
                    _("Line %(line)s: %(message)s") % {"line": line, "message": message}
                )
            count = len(result.errors)
            raise CommandError(
                ngettext(
                    "%(counter)s error: nothing was imported.",
                    "%(counter)s errors: nothing was imported.",
                    count,
                )
                % {"counter": count}
            )
        counts = {"created": result.created, "updated": result.updated}
        if dry_run:
            self.stdout.write(
                _(
                    "Dry run, nothing was saved. The file is valid: importing it would create "
                    "%(created)s observation(s) and update %(updated)s."
                )
                % counts
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(created)d observation(s) created, %(updated)d updated.") % counts
                )
            )
