"""Import indicator observations from a CSV file: all rows or none.

Columns: initiative (its slug, or its identifier in a source written `source:identifier`, see
initiatives.SourceIdentifier) or territory (slug), indicator (slug), period, value, source, and
optionally note. A period is a year ("2019") or two ISO dates ("2018-01-01/2018-06-30").
Values accept a decimal comma and spaces between thousands ("12,5", "2 450").
Every row is checked before anything is written; with one bad row nothing is saved and each
error names its line. A row for an indicator, subject and period already known updates it.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import reversion
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import CheckConstraint
from django.utils.translation import gettext as _

from initiatives.models import Initiative, Territory

from .models import Indicator, Observation

REQUIRED_COLUMNS = ("indicator", "period", "value", "source")
SUBJECT_COLUMNS = ("initiative", "territory")


@dataclass
class ImportResult:
    dry_run: bool
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # [(line number, message)]

    @property
    def ok(self):
        return not self.errors


def read_csv(content):
    """Rows as dicts from bytes or text; the delimiter (comma, semicolon, tab) is sniffed."""
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    # No text file holds NUL bytes, and PostgreSQL refuses them in strings.
    content = content.replace("\x00", "")
    first_line = content.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(content), dialect=dialect)


def parse_period(text):
    text = text.strip()
    if text.isdigit() and len(text) == 4:
        return Observation.year_period(int(text))
    start, sep, end = text.partition("/")
    if not sep:
        raise ValueError
    return datetime.date.fromisoformat(start.strip()), datetime.date.fromisoformat(end.strip())


def parse_value(text):
    cleaned = "".join(text.split()).replace("\u202f", "").replace(",", ".")
    value = Decimal(cleaned)
    if not value.is_finite():
        raise InvalidOperation
    return value


def import_observations(content, dry_run=False, file_name="", user=None):
    """Check every row, then save them all in one transaction (or roll back a dry run), as one
    revision of the history named after the file."""
    result = ImportResult(dry_run=dry_run)
    try:
        reader = read_csv(content)
        header = [name.strip() for name in reader.fieldnames or []]
    except UnicodeDecodeError:
        result.errors.append((1, _("The file is not UTF-8 text.")))
        return result
    reader.fieldnames = header
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if not any(column in header for column in SUBJECT_COLUMNS):
        missing.append("initiative")
    if missing:
        result.errors.append(
            (1, _("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)})
        )
        return result
    try:
        rows = list(enumerate(reader, start=2))
    except csv.Error as error:
        result.errors.append(
            (reader.line_num, _("The file is not a readable CSV: %(error)s") % {"error": error})
        )
        return result
    indicators = (
        Indicator.objects.select_related("scale")
        .prefetch_related("scale__levels")
        .in_bulk({(row.get("indicator") or "").strip() for _line, row in rows}, field_name="slug")
    )
    initiatives = Initiative.objects.by_reference(
        {(row.get("initiative") or "").strip() for _line, row in rows}
    )
    territories = Territory.objects.in_bulk(
        {(row.get("territory") or "").strip() for _line, row in rows}, field_name="slug"
    )

    observations, seen = [], {}
    for line, row in rows:
        row = {key: (value or "").strip() for key, value in row.items() if key}
        if not any(row.values()):
            continue
        try:
            observation = build_observation(row, indicators, initiatives, territories)
        except ValidationError as error:
            result.errors.extend((line, message) for message in describe(error))
            continue
        key = (
            observation.indicator_id,
            observation.initiative_id,
            observation.territory_id,
            observation.period_start,
            observation.period_end,
        )
        if key in seen:
            result.errors.append(
                (
                    line,
                    _("Same indicator, subject and period as line %(line)d.") % {"line": seen[key]},
                )
            )
            continue
        seen[key] = line
        observations.append(observation)

    if result.errors:
        return result
    with transaction.atomic(), reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(
            _("Observations imported from %(file)s.") % {"file": file_name or _("a CSV file")}
        )
        for observation in observations:
            _observation, created = Observation.objects.update_or_create(
                indicator=observation.indicator,
                initiative=observation.initiative,
                territory=observation.territory,
                period_start=observation.period_start,
                period_end=observation.period_end,
                defaults={
                    "value": observation.value,
                    "source": observation.source,
                    "note": observation.note,
                },
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
        if dry_run:
            transaction.set_rollback(True)
    return result


def build_observation(row, indicators, initiatives, territories):
    """A validated, unsaved Observation from one row, or a ValidationError listing its faults."""
    errors = []
    indicator = indicators.get(row.get("indicator", ""))
    if indicator is None:
        errors.append(_("Unknown indicator “%(slug)s”.") % {"slug": row.get("indicator", "")})
    initiative_slug, territory_slug = row.get("initiative", ""), row.get("territory", "")
    initiative = initiatives.get(initiative_slug)
    territory = territories.get(territory_slug)
    if initiative_slug and territory_slug:
        errors.append(_("Give an initiative or a territory, not both."))
    elif not (initiative_slug or territory_slug):
        errors.append(_("Give an initiative or a territory."))
    elif initiative_slug and initiative is None:
        errors.append(_("Unknown initiative “%(slug)s”.") % {"slug": initiative_slug})
    elif territory_slug and territory is None:
        errors.append(_("Unknown territory “%(slug)s”.") % {"slug": territory_slug})
    try:
        start, end = parse_period(row.get("period", ""))
    except ValueError:
        start = end = None
        errors.append(
            _("Unreadable period “%(period)s”: write 2019 or 2018-01-01/2018-06-30.")
            % {"period": row.get("period", "")}
        )
    if start and end < start:
        errors.append(_("The period ends before it starts."))
    try:
        value = parse_value(row.get("value", ""))
    except InvalidOperation:
        value = None
        errors.append(_("Unreadable value “%(value)s”.") % {"value": row.get("value", "")})
    if not row.get("source"):
        errors.append(_("Give the source of the figure."))
    if errors:
        raise ValidationError(errors)
    observation = Observation(
        indicator=indicator,
        initiative=initiative,
        territory=territory,
        period_start=start,
        period_end=end,
        value=value,
        source=row.get("source", ""),
        note=row.get("note", ""),
    )
    # Uniqueness is not checked: a row for a known period updates that observation.
    observation.full_clean(validate_unique=False, validate_constraints=False)
    for constraint in Observation._meta.constraints:
        if isinstance(constraint, CheckConstraint):
            constraint.validate(Observation, observation)
    return observation


def describe(error):
    """A ValidationError's messages, each prefixed with its column when it has one."""
    if not hasattr(error, "error_dict"):
        return error.messages
    return [
        message if name == NON_FIELD_ERRORS else f"{name}: {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]
