"""The directory's version history, recorded with django-reversion, and what curators do with it.

The models register themselves with `@reversion.register` (an initiative follows its
involvements and source identifiers, an assessment its scores), so that one revision holds an
initiative as a curator saw it. Revisions are recorded, with who, when and a comment, by the
admin (`HistoryAdmin`, one revision per saved form or bulk action), by the demo load and by
the imports (one revision per run, named after the file).

Curators see an object's history, compare two versions field by field, restore a version (a
new version: nothing is lost) and recover deleted objects. `GuardedEditAdmin` refuses a save
over someone else's: the form carries the `edit_count` it was opened with.
"""

import datetime
import json
from contextlib import contextmanager
from dataclasses import dataclass

import reversion
from django import forms
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.db.models.signals import pre_save
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from reversion.admin import VersionAdmin
from reversion.models import Revision, Version

from config.admin_site import SiteAdminMixin

from . import freshness

# Kept by the database or derived from other fields: not what a curator edits.
UNCOMPARED_FIELDS = {
    "id",
    "edit_count",
    "created_at",
    "updated_at",
    "search_document",
    "search_vector",
    "path",
    "depth",
    "search_name",
    "imported_values",
}
# How far back a refused save looks for the version its form was opened from.
CONFLICT_LOOKBACK = 50


def keep_counting_edits(model):
    """A raw save (a restored version, loaddata) must not move `edit_count` back: a form
    opened at that older count would then overwrite the restore unnoticed."""

    def continue_count(sender, instance, raw, using, **kwargs):
        if raw:
            current = (
                sender._base_manager.using(using)
                .filter(pk=instance.pk)
                .values_list("edit_count", flat=True)
                .first()
            )
            if current is not None:
                instance.edit_count = max(instance.edit_count, current) + 1

    pre_save.connect(
        continue_count,
        sender=model,
        weak=False,
        dispatch_uid=f"history_edit_count_{model._meta.label_lower}",
    )


def save_revision(model, pks, user=None, comment="", using="default"):
    """Record one revision of these rows of `model` and of the rows they follow; returns it,
    or None when there are no rows. The versions are those reversion would record.

    For bulk paths (imports): reversion's `add_to_revision()` copies the revision's versions
    at each call, quadratic in their number, and serializes one prefetched object at a time.
    This reads each model once, in a query per model and per many-to-many field.
    """
    versions = []
    # Only the fields a version keeps: a search document and its vector weigh more than the
    # rest of an initiative's row.
    recorded = reversion.revisions._get_options(model).fields
    level = [(model, model._base_manager.using(using).filter(pk__in=list(pks)).only(*recorded))]
    while level:
        followed = []
        for rows_model, rows in level:
            rows = list(rows)
            if rows:
                versions += versions_of(rows_model, rows, using)
                for relation in followed_relations(rows_model).values():
                    followed.append((relation.related_model, related_rows(relation, rows, using)))
        level = followed
    if not versions:
        return None
    revision = Revision.objects.using(using).create(
        date_created=timezone.now(), user=user, comment=comment
    )
    for version in versions:
        version.revision = revision
    Version.objects.using(using).bulk_create(versions, batch_size=1000)
    return revision


def related_rows(relation, parents, using):
    """The rows of a followed relation of these parents, each knowing its parent and with its
    other foreign keys selected (their names are in the rows' labels)."""
    model = relation.related_model
    others = [
        f.name for f in model._meta.concrete_fields if f.many_to_one and f is not relation.field
    ]
    by_pk = {parent.pk: parent for parent in parents}
    rows = (
        model._base_manager.using(using)
        .filter(**{f"{relation.field.attname}__in": list(by_pk)})
        .select_related(*others)
    )
    for row in rows:
        relation.field.set_cached_value(row, by_pk[getattr(row, relation.field.attname)])
        yield row


def versions_of(model, rows, using):
    options = reversion.revisions._get_options(model)
    serializer = LinksSerializer(links_of(model, [row.pk for row in rows], using))
    content_type = ContentType.objects.db_manager(using).get_for_model(model)
    # All rows in one pass of the serializer; each version holds its own, as a list of one.
    serialized = serializer.serialize(rows, fields=options.fields)
    return [
        Version(
            content_type=content_type,
            object_id=str(row.pk),
            db=using,
            format="json",
            serialized_data=json.dumps([data], cls=DjangoJSONEncoder),
            object_repr=str(row),
        )
        for row, data in zip(rows, serialized, strict=True)
    ]


def links_of(model, pks, using):
    """{many-to-many field name: {pk: [linked pks]}} for these rows, a query per field."""
    links = {}
    for m2m in model._meta.many_to_many:
        if not m2m.remote_field.through._meta.auto_created:
            continue  # Django's serializer leaves such a field out.
        source, target = m2m.m2m_field_name() + "_id", m2m.m2m_reverse_field_name() + "_id"
        by_row = links[m2m.name] = {pk: [] for pk in pks}
        for pk, linked in (
            m2m.remote_field.through._base_manager.using(using)
            .filter(**{f"{source}__in": pks})
            .values_list(source, target)
        ):
            by_row[pk].append(linked)
    return links


class LinksSerializer(Serializer):
    """Django's serializer, given the many-to-many values instead of querying them per row."""

    def __init__(self, links):
        super().__init__()
        self.links = links

    def handle_m2m_field(self, obj, field):
        self._current[field.name] = self.links[field.name][obj.pk]


@dataclass
class Snapshot:
    """An object's fields (by attname; many-to-many as lists of pks) and its followed rows
    ({relation name: {pk: (label, fields)}}, None when unknown), from a version, from the
    database or from a form's input."""

    model: type
    fields: dict
    related: dict | None = None

    @classmethod
    def of_version(cls, version):
        related = {}
        followed = followed_relations(version._model)
        if followed:
            rows = version.revision.version_set.exclude(pk=version.pk).select_related(
                "content_type"
            )
            for row in rows:
                for name, relation in followed.items():
                    if row.content_type.model_class() is relation.related_model:
                        row_fields = row.field_dict
                        if str(row_fields.get(relation.field.attname)) == version.object_id:
                            related.setdefault(name, {})[row.object_id] = (
                                row.object_repr,
                                row_fields,
                            )
        return cls(version._model, version.field_dict, related)

    @classmethod
    def of_object(cls, obj):
        model = type(obj)
        fields = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        for m2m in model._meta.many_to_many:
            fields[m2m.attname] = [related.pk for related in getattr(obj, m2m.name).all()]
        related = {
            name: {str(row.pk): (str(row), cls.of_object(row).fields) for row in rows_of(obj, name)}
            for name in followed_relations(model)
        }
        return cls(model, fields, related)

    @classmethod
    def of_form(cls, form):
        """What a form's input would save, field by field (not its inlines)."""
        model = form._meta.model
        fields = {}
        for model_field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            if model_field.name not in form.cleaned_data:
                continue
            value = form.cleaned_data[model_field.name]
            if model_field.many_to_many:
                value = [related.pk for related in value]
            elif model_field.is_relation:
                value = value.pk if value is not None else None
            fields[model_field.attname] = value
        return cls(model, fields)


def rows_of(obj, relation_name):
    """The rows a relation reaches: many (involvements) or at most one (a private contact)."""
    try:
        related = getattr(obj, relation_name)
    except ObjectDoesNotExist:
        return []
    return related.all() if hasattr(related, "all") else [related]


def followed_relations(model):
    """{name: reverse relation} of the rows a version of this model follows."""
    # The `follow` given to reversion.register(), which has no public accessor for it.
    follow = reversion.revisions._get_options(model).follow
    return {name: model._meta.get_field(name) for name in follow}


@dataclass
class Change:
    label: str
    before: str
    after: str


def differences(old, new):
    """[Change] from one Snapshot to another: fields, then followed rows added, removed or
    changed. A few queries, to name the related objects."""
    changes = field_changes(old.model, old.fields, new.fields)
    if old.related is None or new.related is None:
        return changes
    for name, relation in followed_relations(old.model).items():
        label = str(relation.related_model._meta.verbose_name)
        before, after = old.related.get(name, {}), new.related.get(name, {})
        for pk in sorted(before.keys() | after.keys(), key=str):
            if pk not in after:
                changes.append(Change(label, before[pk][0], "—"))
            elif pk not in before:
                changes.append(Change(label, "—", after[pk][0]))
            else:
                row_changes = field_changes(relation.related_model, before[pk][1], after[pk][1])
                if row_changes:
                    changes.append(
                        Change(
                            f"{label} « {after[pk][0]} »",
                            "; ".join(f"{c.label} : {c.before}" for c in row_changes),
                            "; ".join(f"{c.label} : {c.after}" for c in row_changes),
                        )
                    )
    return changes


def field_changes(model, old, new):
    changes = []
    for model_field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        name = model_field.attname
        if name in UNCOMPARED_FIELDS or name not in old or name not in new:
            continue
        before, after = comparable(old[name]), comparable(new[name])
        if model_field.many_to_many:
            before, after = sorted(before or []), sorted(after or [])
        if before != after:
            changes.append(
                Change(
                    str(model_field.verbose_name),
                    display(model_field, before),
                    display(model_field, after),
                )
            )
    return changes


def comparable(value):
    """A version's JSON keeps times to the millisecond: compare them so."""
    if isinstance(value, datetime.datetime | datetime.time):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def display(model_field, value):
    """A value as a curator reads it: a choice's label, a related object's name."""
    if value in (None, "", []):
        return "—"
    if model_field.many_to_many:
        names = model_field.related_model._base_manager.filter(pk__in=value)
        return ", ".join(str(name) for name in names)
    if model_field.is_relation:
        related = model_field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related else _("(deleted)")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(formats.localize(value))


def changes_since(obj, edit_count):
    """(the revisions saved since `obj` had this edit_count, their [Change] up to now).

    For a refused save: what the other person changed while the form was open. The changes
    are None when the history does not reach back to that count (a row written outside the
    admin, never recorded).
    """
    versions = list(
        Version.objects.get_for_object(obj).select_related("revision__user")[:CONFLICT_LOOKBACK]
    )
    for index, version in enumerate(versions):
        if version.field_dict.get("edit_count") == edit_count:
            newer = [v.revision for v in versions[:index]]
            return newer, differences(Snapshot.of_version(version), Snapshot.of_object(obj))
    return [v.revision for v in versions[:1]], None


def changes_table(changes):
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li><strong>{}</strong> : {} → {}</li>",
            ((capfirst(change.label), change.before, change.after) for change in changes),
        ),
    )


class HistoryAdmin(SiteAdminMixin, VersionAdmin):
    """django-reversion's admin (history, restore, recovery of deleted objects) with a
    field-by-field comparison of two versions, and the directory told of every restore.

    A saved form is recorded once it is complete, with its inlines: not at each save of a
    row and again at each many-to-many change, which would serialize the object three times.
    """

    object_history_template = "admin/history/object_history.html"

    @contextmanager
    def create_revision(self, request):
        with reversion.create_revision(manage_manually=True):
            reversion.set_user(request.user)
            yield

    def save_related(self, request, form, formsets, change):
        if change:
            # Django sets every many-to-many field, reading it again first; an unchanged one
            # needs no write, and keeps the values read with the object for the history.
            for m2m in self.opts.many_to_many:
                if m2m.name not in form.changed_data:
                    form.cleaned_data.pop(m2m.name, None)
        super().save_related(request, form, formsets, change)
        reversion.add_to_revision(self.for_history(form.instance))
        for formset in formsets:
            for obj in [*formset.new_objects, *(row for row, _fields in formset.changed_objects)]:
                if reversion.is_registered(type(obj)):
                    reversion.add_to_revision(obj)

    def for_history(self, obj):
        """The object with what its version holds prefetched (the model's HISTORY_LOOKUPS)."""
        prefetch_related_objects([obj], *getattr(self.model, "HISTORY_LOOKUPS", ()))
        return obj

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        versions = (
            Version.objects.get_for_object_reference(self.model, unquote(object_id))
            .select_related("revision__user")
            .order_by("-pk")
        )
        context = {
            "versions": versions,
            "compare_url": reverse(admin_urlname(self.opts, "compare"), args=[object_id]),
            "revision_url_name": admin_urlname(self.opts, "revision"),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    def compare_view(self, request, object_id):
        """Two versions of one object side by side: ?older=<version id>&newer=<version id>."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=unquote(object_id))
        versions = Version.objects.get_for_object(obj).select_related("revision__user")
        chosen = []
        for parameter in ("older", "newer"):
            pk = request.GET.get(parameter, "")
            chosen.append(get_object_or_404(versions, pk=pk) if pk.isdigit() else None)
        older, newer = chosen
        if older is None or newer is None:
            return TemplateResponse(
                request,
                "admin/history/compare.html",
                {**self.history_context(request, obj), "missing": True},
                status=400,
            )
        if older.pk > newer.pk:
            older, newer = newer, older
        context = {
            **self.history_context(request, obj),
            "older": older,
            "newer": newer,
            "changes": differences(Snapshot.of_version(older), Snapshot.of_version(newer)),
        }
        return TemplateResponse(request, "admin/history/compare.html", context)

    def history_context(self, request, obj):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": obj,
            "title": _("Compare two versions of %(object)s") % {"object": obj},
            "history_url": reverse(admin_urlname(self.opts, "history"), args=[obj.pk]),
        }

    def revision_view(self, request, object_id, version_id, extra_context=None):
        return self.restore(request, version_id, super().revision_view, object_id, version_id)

    def recover_view(self, request, version_id, extra_context=None):
        return self.restore(request, version_id, super().recover_view, version_id)

    def restore(self, request, version_id, view, *args):
        """Run reversion's restore view, then tell the directory about every restored row.

        reversion saves them raw, without the freshness receivers; the form's save that
        follows reaches the receivers, but reads the restored values as unchanged (an actor's
        old name would stay out of the search documents).
        """
        request.restoring_version = True
        with transaction.atomic():
            response = view(request, *args)
            if request.method == "POST" and response.status_code == 302:
                version = Version.objects.filter(pk=version_id).first()
                if version is not None:
                    announce_restored(version.revision)
        return response


def announce_restored(revision):
    for version in revision.version_set.all():
        model = version._model
        if model not in freshness.WATCHED:
            continue
        obj = model._base_manager.filter(pk=version.object_id).first()
        if obj is not None:
            # Any of its fields may have changed.
            if hasattr(obj, "forget_loaded_values"):
                obj.forget_loaded_values()
            freshness.directory_changed(freshness.initiatives_affected_by(obj))


class GuardedEditForm(forms.ModelForm):
    """Refuses to save over a change made since the form was opened, and says what changed."""

    loaded_edit_count = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_edit_count"].initial = self.instance.edit_count

    def clean(self):
        cleaned_data = super().clean()
        loaded = cleaned_data.get("loaded_edit_count")
        if loaded != self.instance.edit_count:
            revisions, changes = changes_since(self.instance, loaded)
            if changes is None:
                heading = _("What is saved now differs from your input here (saved → yours):")
                changes = differences(Snapshot.of_object(self.instance), Snapshot.of_form(self))
            else:
                heading = _("Their changes:")
            # The next save is checked against what is saved now, once the curator has merged.
            self.data = self.data.copy()
            self.data[self.add_prefix("loaded_edit_count")] = self.instance.edit_count
            raise ValidationError(conflict_message(revisions, heading, changes), code="conflict")
        return cleaned_data


def conflict_message(revisions, heading, changes):
    people = sorted({r.user.get_username() for r in revisions if r.user})
    if revisions:
        intro = _(
            "%(people)s saved this record while you were editing it (last save: %(when)s)."
        ) % {
            "people": ", ".join(people) or _("Someone"),
            "when": formats.localize(localtime(revisions[0].date_created)),
        }
    else:
        intro = _("Someone saved this record while you were editing it.")
    advice = _(
        "Your input is kept below: bring in what you want to keep of their changes, then save "
        "again."
    )
    if not changes:
        return format_html("{} {}", intro, advice)
    return format_html("{} {}<br>{}{}", intro, advice, heading, changes_table(changes))


class GuardedEditAdmin(HistoryAdmin):
    """HistoryAdmin whose edit forms refuse a save over someone else's (see GuardedEditForm).

    On PostgreSQL the row is locked from the moment a POST reads it until the save commits,
    so that two saves at the same instant are told apart too (SQLite, for development, runs
    one write at a time anyway).
    """

    def get_object(self, request, object_id, from_field=None):
        if request.method != "POST":
            return super().get_object(request, object_id, from_field)
        # ModelAdmin.get_object, with the row locked: a concurrent save waits here, then
        # reads the new count. The many-to-many are read once for the form, its save and the
        # history (a change clears Django's prefetched copy).
        m2m = [f.name for f in self.opts.many_to_many]
        queryset = self.get_queryset(request).select_for_update(of=("self",)).prefetch_related(*m2m)
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and not getattr(request, "restoring_version", False):
            base = kwargs.get("form", self.form)
            kwargs["form"] = type(base.__name__, (GuardedEditForm, base), {})
        return super().get_form(request, obj, change, **kwargs)


def record_bulk_action(request, comment):
    """Name the revision of an admin bulk action (HistoryAdmin records its changelist; the
    bulk methods add their rows through freshness.update_in_bulk)."""
    if reversion.is_active():
        reversion.set_comment(comment)
