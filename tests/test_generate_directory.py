"""The benchmark's generated directory: realistic, deterministic, written through the bulk
write path."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from actors.models import Actor, Involvement
from initiatives.freshness import current_version
from initiatives.models import Initiative
from initiatives.search import outdated_search_documents


def generate(size, seed, commit):
    with commit():
        call_command("generate_directory", initiatives=size, seed=seed, stdout=StringIO())
    return list(
        Initiative.objects.filter(slug__contains=f"-g{seed}-")
        .order_by("pk")
        .values_list("name", "commune__code", "latitude", "status")
    )


def test_a_generated_directory_looks_like_a_real_one(territories, themes, commit, client):
    version = current_version()
    generated = generate(400, 7, commit)
    assert len(generated) == 400
    assert current_version() == version + 1
    initiatives = Initiative.objects.filter(slug__contains="-g7-")
    statuses = Counter(status for *_rest, status in generated)
    assert 5 <= statuses["draft"] <= 40
    unlocated = sum(1 for _name, _commune, latitude, _status in generated if latitude is None)
    assert 10 <= unlocated <= 80
    themes = Counter(
        Initiative.themes.through.objects.filter(initiative__in=initiatives).values_list(
            "initiative", flat=True
        )
    )
    assert len(themes) == 400 and set(themes.values()) <= {1, 2, 3}
    involvements = Counter(
        Involvement.objects.filter(initiative__in=initiatives).values_list("initiative", flat=True)
    )
    assert len(involvements) == 400 and min(involvements.values()) >= 2
    assert max(involvements.values()) <= 6
    biggest = Counter(
        Involvement.objects.filter(initiative__in=initiatives, role="funder").values_list(
            "actor__name", flat=True
        )
    ).most_common(1)[0]
    assert biggest[1] >= 20, biggest  # a funder involved in many initiatives
    # Inserted with their search documents: the refresh found nothing to rewrite.
    assert outdated_search_documents(initiatives) == {}
    name = generated[0][0]
    assert client.get("/initiatives/", {"q": name}).context["paginator"].count >= 1


def test_the_same_seed_gives_the_same_directory(territories, themes, commit):
    first = generate(50, 11, commit)
    with pytest.raises(CommandError):
        call_command("generate_directory", initiatives=50, seed=11)
    with commit():
        Involvement.objects.filter(initiative__slug__contains="-g11-").delete()
        Initiative.objects.filter(slug__contains="-g11-").delete()
        Actor.objects.filter(slug__contains="-g11").delete()
    assert generate(50, 11, commit) == first
    assert generate(50, 12, commit) != first
