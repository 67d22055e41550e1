"""Writing many rows at once and only what differs: the demo loader and the imports.

`sync_rows()` makes the rows of a model match what a file says, with one query to read them,
one to create the missing ones and one to update those that differ; `sync_links()` does the
same for a many-to-many field. Rows that already match are not written at all, so that
loading the same file twice changes nothing: no new version in the history, no bump of the
directory version.

Bulk writes skip save() and the signals: the caller records the history and calls
`freshness.directory_changed()` once for what changed.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone

BATCH_SIZE = 1000


@dataclass
class Synced:
    rows: dict = field(default_factory=dict)  # key -> instance, created or existing
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)

    @property
    def changed(self):
        return [*self.created, *self.updated]


def sync_rows(model, wanted, existing, key_of):
    """Create or update rows of `model` so that they hold `wanted` ({key: {field: value}},
    foreign keys as instances). `existing` holds the candidate rows, `key_of(row)` gives a
    row's key. Updated rows get what save() would give them: auto_now dates, one more edit.
    Three queries at most."""
    current = {key_of(row): row for row in existing}
    synced = Synced()
    changed_fields = set()
    for key, values in wanted.items():
        row = current.get(key)
        if row is None:
            row = model(**values)
            synced.created.append(row)
        else:
            differing = [name for name, value in values.items() if not holds(row, name, value)]
            if differing:
                for name in differing:
                    setattr(row, name, values[name])
                changed_fields.update(differing)
                synced.updated.append(row)
        synced.rows[key] = row
    model.objects.bulk_create(synced.created, batch_size=BATCH_SIZE)
    if synced.updated:
        changed_fields |= count_saves(model, synced.updated)
        model.objects.bulk_update(synced.updated, sorted(changed_fields), batch_size=BATCH_SIZE)
    return synced


def holds(row, name, value):
    """Whether the row's field already has this value (a related instance compares by pk)."""
    model_field = row._meta.get_field(name)
    if model_field.is_relation:
        return getattr(row, model_field.attname) == (value.pk if value is not None else None)
    return getattr(row, name) == model_field.to_python(value)


def count_saves(model, rows):
    """Give updated rows what save() would: auto_now dates and one more edit; returns the
    names of the fields so set."""
    names = set()
    now = timezone.now()
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, models.DateTimeField) and model_field.auto_now:
            names.add(model_field.name)
            for row in rows:
                setattr(row, model_field.name, now)
    if any(f.name == "edit_count" for f in model._meta.concrete_fields):
        names.add("edit_count")
        for row in rows:
            row.edit_count += 1
    return names


def sync_links(m2m_field, wanted):
    """Make a many-to-many field hold `wanted` ({source pk: set of target pks}) for these
    sources; returns the pks of the sources whose links changed. Three queries at most.

    `m2m_field` is the descriptor, e.g. Initiative.themes.
    """
    through = m2m_field.through
    source = m2m_field.field.m2m_field_name() + "_id"
    target = m2m_field.field.m2m_reverse_field_name() + "_id"
    existing = {
        (source_pk, target_pk): pk
        for pk, source_pk, target_pk in through.objects.filter(
            **{f"{source}__in": wanted}
        ).values_list("pk", source, target)
    }
    desired = {(pk, target_pk) for pk, targets in wanted.items() for target_pk in targets}
    removed, added = existing.keys() - desired, desired - existing.keys()
    if removed:
        through.objects.filter(pk__in=[existing[link] for link in removed]).delete()
    through.objects.bulk_create(
        [through(**{source: pk, target: target_pk}) for pk, target_pk in added],
        batch_size=BATCH_SIZE,
    )
    return {pk for pk, _target in removed | added}


def in_dependency_order(rows, key, depends_on):
    """The rows in levels, each depending only on earlier levels or on rows outside them:
    a level can be created in bulk once the previous one has its primary keys."""
    keys = {row[key] for row in rows}
    level_of = {}

    def level(row):
        if row[key] not in level_of:
            parent = depends_on(row)
            level_of[row[key]] = 0 if parent not in keys else level(by_key[parent]) + 1
        return level_of[row[key]]

    by_key = {row[key]: row for row in rows}
    levels = {}
    for row in rows:
        levels.setdefault(level(row), []).append(row)
    return [levels[number] for number in sorted(levels)]
