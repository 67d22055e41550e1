"""Shared fixtures: a small real territory tree, themes, actors and initiatives.

Each is built by a plain function too, so that a module can build its data once for all its
tests (`data_for_the_module`).
"""

from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from django.utils import translation
from django.utils.text import slugify

from actors.models import Actor, ActorContact, Involvement
from initiatives.curators import CURATORS_GROUP
from initiatives.models import Initiative, Territory, Theme

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language: a request to /en/ leaves English
    active in the thread, and the next test's reverse() would give English addresses."""
    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rolled-back tests reuse directory versions, so
    a key of one test's data could be found by the next."""
    cache.clear()
    yield


def make_territory(slug, name, kind, parent=None, code="", country="FR", **fields):
    return Territory.objects.create(
        slug=slug, name=name, kind=kind, parent=parent, code=code, country=country, **fields
    )


def square_outline(territory, west, south, east, north):
    """A TerritoryBoundary of this territory: a square, as import_boundaries stores outlines."""
    from initiatives.models import TerritoryBoundary

    corners = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return TerritoryBoundary.objects.create(
        territory=territory,
        geometry={"type": "Polygon", "coordinates": [corners]},
        west=west,
        south=south,
        east=east,
        north=north,
    )


@contextmanager
def data_for_the_module(django_db_blocker, build):
    """For a module-scoped fixture: build() once, in a transaction rolled back after the
    module's tests (each test's own changes are rolled back after it). What the writes leave
    for their commit (initiatives/freshness.py) runs once build() is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            data = build()
        yield data
        transaction.set_rollback(True)


@pytest.fixture
def territories(db):
    return create_territories()


def create_territories():
    """France › Hauts-de-France › Pas-de-Calais › Bruay-la-Buissière, and Grand Est › Moselle."""
    france = make_territory("france", "France", Territory.Kind.COUNTRY, code="FR")
    hdf = make_territory("hauts-de-france", "Hauts-de-France", Territory.Kind.REGION, france, "32")
    pdc = make_territory("pas-de-calais", "Pas-de-Calais", Territory.Kind.DEPARTEMENT, hdf, "62")
    bruay = make_territory(
        "bruay-la-buissiere-62178",
        "Bruay-la-Buissière",
        Territory.Kind.COMMUNE,
        pdc,
        "62178",
        latitude=50.4833,
        longitude=2.55,
    )
    grand_est = make_territory("grand-est", "Grand Est", Territory.Kind.REGION, france, "44")
    moselle = make_territory("moselle", "Moselle", Territory.Kind.DEPARTEMENT, grand_est, "57")
    florange = make_territory(
        "florange-57221",
        "Florange",
        Territory.Kind.COMMUNE,
        moselle,
        "57221",
        latitude=49.3236,
        longitude=6.1208,
    )
    return {
        "france": france,
        "hauts-de-france": hdf,
        "pas-de-calais": pdc,
        "bruay": bruay,
        "grand-est": grand_est,
        "moselle": moselle,
        "florange": florange,
    }


@pytest.fixture
def themes(db):
    return create_themes()


def create_themes():
    circular = Theme.objects.create(
        slug="economie-circulaire-reemploi", name="Économie circulaire & réemploi", color="#2f855a"
    )
    ressourceries = Theme.objects.create(
        slug="ressourceries", name="Ressourceries", parent=circular, color="#2f855a"
    )
    employment = Theme.objects.create(
        slug="emploi-insertion-formation", name="Emploi, insertion & formation", color="#b7791f"
    )
    return {"circular": circular, "ressourceries": ressourceries, "employment": employment}


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): <writes>` runs what the writes left for their commit: the test's own
    transaction never commits, and the directory's freshness (initiatives/freshness.py)
    waits for the commit."""
    return partial(django_capture_on_commit_callbacks, execute=True)


def create_initiative(name, status=Initiative.Status.PUBLISHED, themes=(), **fields):
    fields.setdefault("slug", slugify(name))
    fields.setdefault("summary", f"Résumé de {name}")
    initiative = Initiative.objects.create(name=name, status=status, **fields)
    initiative.themes.set(themes)
    return initiative


def create_actor(name, kind=Actor.Kind.ASSOCIATION, sector=Actor.Sector.ESS, **fields):
    fields.setdefault("slug", slugify(name))
    return Actor.objects.create(name=name, kind=kind, sector=sector, **fields)


@pytest.fixture
def make_initiative(db, commit):
    def make(*args, **kwargs):
        with commit():
            return create_initiative(*args, **kwargs)

    return make


@pytest.fixture
def make_actor(db, commit):
    def make(*args, **kwargs):
        with commit():
            return create_actor(*args, **kwargs)

    return make


@pytest.fixture
def directory(territories, themes, commit):
    with commit():
        return create_directory(territories, themes)


def create_directory(territories, themes):
    """Two published initiatives, one draft and one archived, with actors in all four roles."""
    maison = create_initiative(
        "Maison des échanges",
        themes=[themes["ressourceries"]],
        commune=territories["bruay"],
        latitude=50.4833,
        longitude=2.55,
        stage=Initiative.Stage.CONSOLIDATION,
        year_started=2012,
    )
    fe2i = create_initiative(
        "Florange Écologie industrielle et Insertion",
        slug="fe2i",
        themes=[themes["circular"], themes["employment"]],
        commune=territories["florange"],
        latitude=49.3236,
        longitude=6.1208,
        stage=Initiative.Stage.DIFFUSION,
        year_started=2009,
    )
    draft = create_initiative("Projet en brouillon", status=Initiative.Status.DRAFT)
    archived = create_initiative("Projet archivé", status=Initiative.Status.ARCHIVED)
    departement = create_actor(
        "Département du Pas-de-Calais", kind=Actor.Kind.LOCAL_AUTHORITY, sector=Actor.Sector.PUBLIC
    )
    ActorContact.objects.create(actor=departement, email="contact-prive@example.org")
    macif = create_actor("Fondation Macif", kind=Actor.Kind.FOUNDATION)
    godin = create_actor("Institut Godin", kind=Actor.Kind.RESEARCH)
    association = create_actor("Association Maison des échanges")
    Role = Involvement.Role
    Involvement.objects.create(initiative=maison, actor=association, role=Role.CARRIER)
    Involvement.objects.create(initiative=maison, actor=departement, role=Role.FUNDER)
    Involvement.objects.create(initiative=fe2i, actor=macif, role=Role.FUNDER)
    Involvement.objects.create(initiative=maison, actor=godin, role=Role.SUPPORT)
    Involvement.objects.create(
        initiative=fe2i,
        actor=departement,
        role=Role.TAKER,
        taker_kind=Involvement.TakerKind.ADOPTER,
    )
    return {
        "maison": maison,
        "fe2i": fe2i,
        "draft": draft,
        "archived": archived,
        "departement": departement,
        "macif": macif,
        "godin": godin,
        "association": association,
    }


def create_curator(username):
    # No usable password: tests log in with force_login, without hashing one.
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS_GROUP))
    return user


@pytest.fixture
def curator(db):
    return create_curator("curatrice")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client
