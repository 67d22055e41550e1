"""Reading several bounded selections at once."""

from django.db import connections


def rows_of_slices(querysets):
    """The rows of these sliced querysets (values_list() of the same columns), in one
    UNION ALL query where the database accepts a LIMIT inside a UNION (PostgreSQL), one
    query each elsewhere (SQLite)."""
    querysets = list(querysets)
    if not querysets:
        return []
    first, *others = querysets
    if others and connections[first.db].features.supports_slicing_ordering_in_compound:
        return list(first.union(*others, all=True))
    return [row for queryset in querysets for row in queryset]
