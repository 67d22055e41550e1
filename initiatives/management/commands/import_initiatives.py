"""Import initiatives from a file, as the admin's import pages do:

    python manage.py import_initiatives FILE [--mapping NAME] [--source SLUG] [--dry-run]

CSV, XLSX, JSON, GeoJSON or a GoGoCarto export (initiatives/imports/readers.py). Without
--mapping, the GoGoCarto mapping for GoGoCarto exports, else one proposed from the columns'
names, which the report shows. A dry run reports what the import would do and writes nothing.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from initiatives.imports.engine import apply_import, plan_import
from initiatives.imports.mapping import proposed_mapping
from initiatives.imports.readers import UnreadableFile, read_table
from initiatives.models import ImportMapping


class Command(BaseCommand):
    help = "Import initiatives from a CSV, XLSX, JSON, GeoJSON or GoGoCarto file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--mapping", help="A mapping saved in the admin, by its name.")
        parser.add_argument(
            "--source",
            help="The source's short name, kept with each initiative's identifier in it "
            "(default: the mapping's, else the file's name).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")
        parser.add_argument(
            "--duplicates",
            choices=["skip", "create"],
            default="skip",
            help="What to do with the rows that may duplicate an existing initiative (default: "
            "skip them; the admin's import page lets a curator decide row by row).",
        )
        parser.add_argument(
            "--conflicts",
            choices=["keep", "take"],
            default="keep",
            help="Fields a curator edited since the last import: keep the curator's value "
            "(default) or take the file's.",
        )

    def handle(self, *args, file, mapping, source, dry_run, duplicates, conflicts, **options):
        start = time.monotonic()
        try:
            table = read_table(file.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        except UnreadableFile as error:
            raise CommandError(str(error)) from error
        if mapping:
            saved = ImportMapping.objects.filter(name=mapping).first()
            if saved is None:
                raise CommandError(f"No saved mapping is named {mapping!r}.")
            columns, source = saved.mapping, source or saved.source
        else:
            columns = proposed_mapping(table)
            self.stdout.write(f"Mapping ({table.format}): {columns['columns']}")
        source = slugify(source or ("gogocarto" if table.is_gogocarto else file.stem))[:50]
        plan = plan_import(table, columns, source)
        counts = plan.counts()
        self.stdout.write(
            f"{len(plan.rows)} rows: {counts['new']} new, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['rejected']} rejected, "
            f"{counts['duplicate']} possible duplicates, {counts['conflicts']} conflicts."
        )
        for row in plan.rejected():
            self.stderr.write(f"Line {row.line}: {row.reason}")
        for row in plan.duplicates():
            best = row.candidates[0]
            self.stdout.write(
                f"Line {row.line}: “{row.name}” may be “{best.initiative.name}” ({best.reason})."
            )
        for row in plan.conflicted():
            for conflict in row.conflicts:
                self.stdout.write(
                    f"Line {row.line}: {conflict.label} was edited since the last import: "
                    f"{conflict.current!r} (kept unless --conflicts take) / {conflict.incoming!r}."
                )
        if plan.unmapped_categories:
            self.stdout.write(
                "Categories without a theme: " + ", ".join(sorted(plan.unmapped_categories))
            )
        if dry_run:
            self.stdout.write("Dry run: nothing written.")
            return
        decisions = {
            "duplicates": {row.line: duplicates for row in plan.duplicates()},
            "conflicts": {
                f"{row.line}:{conflict.field}": conflicts
                for row in plan.conflicted()
                for conflict in row.conflicts
            },
        }
        report = apply_import(plan, decisions, file_name=file.name)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {report.created} created, {report.updated} updated, "
                f"{report.merged} merged, {report.unchanged} unchanged, {report.skipped} "
                f"skipped, {report.rejected} rejected, in {time.monotonic() - start:.1f} s."
            )
        )
