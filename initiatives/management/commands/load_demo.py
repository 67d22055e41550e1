"""Load the demo directory written from the seed articles (initiatives/demo/demo.json).

First every région, département and commune of France, from the COG files shipped in
initiatives/data/cog-2026/ (unless --only-demo-places), then the demo's own records.
Idempotent: records are matched by slug (involvements by initiative, actor and role), and only
what differs from the file is written, in bulk, so a second run changes nothing. The demo's
own records are reset to their demo content; anything else in the database is left alone.
What a run changes is one revision in the history, and one refresh of the directory.
"""

import json
from pathlib import Path

import reversion
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils.translation import gettext as _

from actors.models import Actor, Involvement
from evaluation.demo import load_demo_evaluations
from initiatives import freshness
from initiatives.bulk import in_dependency_order, sync_links, sync_rows
from initiatives.curators import CURATORS_GROUP
from initiatives.models import Initiative, Territory, Theme
from initiatives.search import place_key
from initiatives.territories import SHIPPED_COG, TerritoryImport, read_cog

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo.json"
DEMO_CURATOR = ("curateur", "essaim-demo")
INITIATIVE_FIELDS = [
    "name", "summary", "description", "how_it_works", "obstacles", "enablers", "lessons",
    "stage", "legal_form", "year_started", "website", "address", "latitude", "longitude",
    "status",
]  # fmt: skip
INVOLVEMENT_FIELDS = ["taker_kind", "start_year", "end_year", "amount", "note"]


class Command(BaseCommand):
    help = "Load the demo initiatives, actors, themes and territories (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only-demo-places",
            action="store_true",
            help="Load only the territories the demo names, not every French commune of the "
            "shipped COG (a few seconds faster: for tests).",
        )
        parser.add_argument(
            "--demo-curator",
            action="store_true",
            help=f"Also create the curator account {DEMO_CURATOR[0]!r} with the documented "
            "demo password (refused outside a local SQLite database).",
        )

    def handle(self, *args, demo_curator=False, only_demo_places=False, **options):
        if demo_curator and connection.vendor != "sqlite":
            raise CommandError("The demo curator account is only for the local SQLite database.")
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic(), reversion.create_revision():
            reversion.set_comment(_("Demo data loaded from %(file)s.") % {"file": DEMO_FILE.name})
            if not only_demo_places:
                # Every French commune first: the demo's places are among them.
                TerritoryImport().run(read_cog(SHIPPED_COG))
            DemoLoad(data).run()
            load_demo_evaluations()
            if demo_curator:
                self.create_demo_curator()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(data['initiatives'])} initiatives, {len(data['actors'])} "
                f"actors, {len(data['themes'])} themes, {len(data['territories'])} territories "
                f"of its own; {Territory.objects.count()} territories in all."
            )
        )

    def create_demo_curator(self):
        username, password = DEMO_CURATOR
        user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        user.is_staff = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=CURATORS_GROUP))


class DemoLoad:
    """One load of the demo, model by model, each level of a tree in bulk."""

    def __init__(self, data):
        self.data = data
        self.changed = []  # what goes into the revision, besides the initiatives
        self.changed_initiatives = set()

    def run(self):
        territories = self.load_territories()
        themes = self.load_themes()
        actors = self.load_actors(territories)
        self.load_initiatives(territories, themes, actors)
        if self.changed or self.changed_initiatives:
            for obj in [
                *self.changed,
                *Initiative.objects.filter(pk__in=self.changed_initiatives).prefetch_related(
                    *Initiative.HISTORY_LOOKUPS
                ),
            ]:
                reversion.add_to_revision(obj)
            freshness.directory_changed(self.changed_initiatives)

    def load_territories(self):
        territories = {}
        for level in in_dependency_order(self.data["territories"], "slug", by_parent):
            wanted = {}
            for row in level:
                parent = None
                if row["parent"]:
                    parent = territories.get(row["parent"]) or Territory.objects.get(
                        slug=row["parent"]
                    )
                path = Territory.path_below(parent, row["slug"])
                wanted[row["slug"]] = {
                    "slug": row["slug"],
                    "name": row["name"],
                    "search_name": place_key(row["name"]),
                    "kind": row["kind"],
                    "code": row["code"],
                    "country": row["country"],
                    "parent": parent,
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "path": path,
                    "depth": path.count("/") - 1,
                }
            synced = sync_rows(Territory, wanted, Territory.objects.filter(slug__in=wanted), slug)
            for territory in synced.updated:
                if territory.has_changed("path"):
                    territory.move_descendants(territory.loaded_values["path"])
                if territory.has_changed("name", "path"):
                    self.changed_initiatives.update(territory.named_initiatives())
            self.changed += synced.changed
            territories.update(synced.rows)
        return territories

    def load_themes(self):
        themes = {}
        for position, row in enumerate(self.data["themes"]):
            row["position"] = position
        for level in in_dependency_order(self.data["themes"], "slug", by_parent):
            wanted = {
                row["slug"]: {
                    "slug": row["slug"],
                    "name": row["name"],
                    "name_en": row.get("name_en", ""),
                    "parent": themes[row["parent"]] if row["parent"] else None,
                    "description": row["description"],
                    "color": row["color"],
                    "position": row["position"],
                }
                for row in level
            }
            synced = sync_rows(Theme, wanted, Theme.objects.filter(slug__in=wanted), slug)
            self.changed += synced.changed
            themes.update(synced.rows)
        return themes

    def load_actors(self, territories):
        wanted = {
            row["slug"]: {
                "slug": row["slug"],
                "name": row["name"],
                "kind": row["kind"],
                "sector": row["sector"],
                "website": row["website"],
                "description": row["description"],
                "territory": territories[row["territory"]] if row["territory"] else None,
            }
            for row in self.data["actors"]
        }
        synced = sync_rows(Actor, wanted, Actor.objects.filter(slug__in=wanted), slug)
        for actor in synced.updated:
            self.changed_initiatives.update(actor.named_initiatives())
        # Their versions follow the contact: read them all at once, not one query per actor.
        self.changed += Actor.objects.filter(
            pk__in=[actor.pk for actor in synced.changed]
        ).select_related("contact")
        return synced.rows

    def load_initiatives(self, territories, themes, actors):
        rows = self.data["initiatives"]
        initiatives = {}
        for level in in_dependency_order(rows, "slug", lambda row: row["replicated_from"]):
            wanted = {
                row["slug"]: {
                    "slug": row["slug"],
                    **{name: row[name] for name in INITIATIVE_FIELDS},
                    "commune": territories[row["commune"]] if row["commune"] else None,
                    "replicated_from": initiatives[row["replicated_from"]]
                    if row["replicated_from"]
                    else None,
                }
                for row in level
            }
            synced = sync_rows(Initiative, wanted, Initiative.objects.filter(slug__in=wanted), slug)
            self.changed_initiatives.update(row.pk for row in synced.changed)
            initiatives.update(synced.rows)
        pks = [initiative.pk for initiative in initiatives.values()]
        # What Initiative.save() does for a first publication.
        Initiative.objects.filter(
            pk__in=pks, status=Initiative.Status.PUBLISHED, published_at__isnull=True
        ).update(published_at=Now())

        self.changed_initiatives |= sync_links(
            Initiative.themes,
            {initiatives[row["slug"]].pk: {themes[s].pk for s in row["themes"]} for row in rows},
        )
        self.changed_initiatives |= sync_links(
            Initiative.action_territories,
            {
                initiatives[row["slug"]].pk: {territories[s].pk for s in row["action_territories"]}
                for row in rows
            },
        )
        self.load_involvements(rows, initiatives, actors)

    def load_involvements(self, rows, initiatives, actors):
        wanted = {}
        for row in rows:
            initiative = initiatives[row["slug"]]
            for involvement in row["involvements"]:
                actor = actors[involvement["actor"]]
                wanted[(initiative.pk, actor.pk, involvement["role"])] = {
                    "initiative": initiative,
                    "actor": actor,
                    "role": involvement["role"],
                    **{name: involvement[name] for name in INVOLVEMENT_FIELDS},
                }
        existing = Involvement.objects.filter(initiative__in=initiatives.values())
        synced = sync_rows(
            Involvement, wanted, existing, lambda i: (i.initiative_id, i.actor_id, i.role)
        )
        self.changed_initiatives.update(row.initiative_id for row in synced.changed)
        kept = [row.pk for row in synced.rows.values()]
        removed = existing.exclude(pk__in=kept)
        self.changed_initiatives.update(removed.values_list("initiative_id", flat=True))
        removed.delete()


def by_parent(row):
    return row["parent"]


def slug(row):
    return row.slug
