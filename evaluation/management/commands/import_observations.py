from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

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
        result = import_observations(content, dry_run=dry_run)
        if not result.ok:
            for line, message in result.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(result.errors)} error(s): nothing was imported.")
        summary = f"{result.created} observation(s) created, {result.updated} updated"
        if dry_run:
            self.stdout.write(f"Dry run, nothing saved: {summary} if imported.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{summary}."))
