"""One mechanism keeps what the public sees fresh after every write.

Three things are derived from the directory's rows:

- the directory version (`DirectoryVersion`): one number that the map's ETag and every cache
  key read, instead of scanning the initiatives for their latest change;
- the initiatives' search documents (initiatives/search.py), which copy the names of their
  places and actors;
- the published directory's facet counts (initiatives/counts.py), by stage, theme, territory
  and actor.

Every write that changes what the public sees calls `directory_changed()`, with the
initiatives whose search documents or counts it affects. Saves, deletes and many-to-many
changes reach it through the receivers that each app connects for its own models with
`watch()` and `watch_m2m()`; bulk paths (`bulk_create`, `QuerySet.update`, imports) call it
themselves, once, after writing, or write through `update_in_bulk()`.

The work waits for the transaction to commit and is done once: each initiative's search
document is rebuilt once, then the version is bumped and the initiatives counted again once,
however many rows the transaction wrote. A rolled-back transaction changes nothing.

Raw saves (`loaddata`, a restore from the history) skip the save receivers: the fixture's
related rows may not exist yet. Our `loaddata` command and the history admin call
`directory_changed()` once at the end instead. (The many-to-many receivers, which carry no
raw flag, do fire then: their work merges into the same single refresh.)
"""

import logging
from contextvars import ContextVar

import reversion
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

# What the current transaction changed, kept on its connection until it commits: the
# initiatives to count again, and those of them whose search documents to rebuild.
PENDING = "essaim_pending_initiative_ids"

# model -> the function naming the initiatives whose search documents or counts one of its rows
# changes.
WATCHED = {}
# Cached results are keyed on the directory version, so a write makes them unused at once:
# this only bounds how long the unused ones take room.
CACHE_SECONDS = 3600
# The directory version as read during the current request ({"number": n} once read), so that
# the page cache, the cached figures and the map's ETag read it once per request. None
# outside a request (commands, shells): every read goes to the database.
request_version = ContextVar("request_version", default=None)


def directory_changed(initiative_ids=(), using="default", inserted=()):
    """Record a write that changes what the public sees, done in the current transaction.

    `initiative_ids` are the initiatives whose search documents or counts may differ after
    what was written; `inserted`, new initiatives written with their search documents (only
    counted). At commit, the documents are rebuilt, the directory version is bumped and the
    initiatives are counted again, once per transaction however often this is called; outside
    a transaction, at once. This is the one call for bulk paths, after `bulk_create` or
    `update`.
    """
    connection = connections[using]
    # Ids left by a transaction that rolled back are refreshed with the next one's: harmless.
    documents, counted = connection.__dict__.setdefault(PENDING, (set(), set()))
    documents.update(initiative_ids)
    counted.update(documents, inserted)
    transaction.on_commit(lambda: apply_changes(using), using=using)


def apply_changes(using):
    """Rebuild the pending search documents, then bump the version and count the pending
    initiatives again (after commit)."""
    from . import counts
    from .models import DirectoryVersion, Initiative
    from .search import refresh_search_documents

    pending = connections[using].__dict__.pop(PENDING, None)
    if pending is None:
        return  # Another callback of the same transaction did it.
    documents, counted = pending
    try:
        if documents:
            refresh_search_documents(Initiative._base_manager.using(using), documents)
        with transaction.atomic(using=using):
            # The version's row stays locked until this commits: two writes are counted one
            # after the other, each from what the one before left.
            DirectoryVersion.bump(using)
            counts.count_changes(counted, using)
        if request_version.get() is not None:
            request_version.get().clear()  # what the request shows next is the new version
    except DatabaseError:
        # The write itself is committed: do not turn it into an error page.
        logger.exception(
            "The directory's search documents, version or counts could not be refreshed "
            "after a write; run `manage.py refresh_directory`."
        )


def cached(name, compute):
    """compute(), from the cache while the directory has not changed.

    The key holds `name`, the directory version (bumped by every write that changes what
    the public sees) and the language: no cached figure outlives a write. In Redis when
    REDIS_URL is set, shared by the app servers. One primary-key query to read the version.
    """
    return cache.get_or_set(cache_key(name), compute, CACHE_SECONDS)


def cache_key(name):
    """A cache key that no write outlives: `name`, the directory version, the language."""
    return f"{name}:{current_version()}:{get_language()}"


def current_version():
    """The directory version, read once per request (request_version)."""
    return directory_read()["number"]


def published_count():
    """How many initiatives are published, read with the version (DirectoryVersion.read())."""
    return directory_read()["published"] or 0


def directory_read():
    from .models import DirectoryVersion

    memo = request_version.get()
    if memo is None:
        return DirectoryVersion.read()
    if "number" not in memo:
        memo.update(DirectoryVersion.read())
    return memo


def start_request(**kwargs):
    request_version.set({})


def end_request(**kwargs):
    request_version.set(None)


def initiatives_affected_by(instance):
    """The initiatives whose search documents copy from this row of a watched model."""
    return WATCHED[type(instance)](instance)


def watch(model, initiatives_of=lambda instance: ()):
    """Announce every save and delete of this model's rows to directory_changed().

    `initiatives_of(instance)` names the initiatives whose search documents or counts the
    row changes.
    A delete asks before the row goes, while the rows linked to it (cascaded, without any
    signal of their own) can still be read, and as if everything about it changed.
    """
    WATCHED[model] = initiatives_of

    def saved(sender, instance, using, raw=False, **kwargs):
        if not raw:
            directory_changed(initiatives_of(instance), using=using)

    def deleted(sender, instance, using, **kwargs):
        if hasattr(instance, "forget_loaded_values"):
            instance.forget_loaded_values()
        directory_changed(initiatives_of(instance), using=using)

    uid = f"freshness_{model._meta.label_lower}"
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=uid)
    pre_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"{uid}_del")


def watch_m2m(field):
    """Announce add, remove and clear on a many-to-many field of Initiative, from both sides.

    `field` is the descriptor, e.g. `Initiative.themes`.
    """
    through = field.through
    initiative_column = field.field.m2m_field_name()
    other_column = field.field.m2m_reverse_field_name()

    def changed(sender, instance, action, reverse, pk_set, using, **kwargs):
        if not reverse:
            if action.startswith("post_"):
                directory_changed([instance.pk], using=using)
        elif action in ("post_add", "post_remove"):
            directory_changed(pk_set, using=using)
        elif action == "pre_clear":
            # After the clear, nothing says which initiatives it concerned.
            linked = through._base_manager.using(using).filter(**{other_column: instance.pk})
            directory_changed(linked.values_list(f"{initiative_column}_id", flat=True), using=using)

    m2m_changed.connect(
        changed, sender=through, weak=False, dispatch_uid=f"freshness_{through._meta.label_lower}"
    )


def update_in_bulk(queryset, initiative_field, **values):
    """queryset.update(**values), for the named bulk methods of initiatives and assessments.

    The rows' `edit_count` goes up (an edit form opened before is then refused), the rows are
    added to the revision being recorded, if any (one revision per admin action), and the
    directory is told, with the initiatives named by `initiative_field` ("pk" for initiatives).
    Returns the number of rows updated.
    """
    rows_of = queryset.model._default_manager.db_manager(queryset.db)
    using = queryset.db
    with transaction.atomic(using=using):
        rows = list(queryset.order_by().values_list("pk", initiative_field))
        pks = [pk for pk, _initiative in rows]
        count = rows_of.filter(pk__in=pks).update(edit_count=F("edit_count") + 1, **values)
        if reversion.is_active():
            lookups = getattr(queryset.model, "HISTORY_LOOKUPS", ())
            for row in rows_of.filter(pk__in=pks).prefetch_related(*lookups):
                reversion.add_to_revision(row, model_db=using)
        directory_changed({initiative for _pk, initiative in rows}, using=using)
    return count
