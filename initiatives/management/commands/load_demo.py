"""Load the demo directory written from the seed articles (initiatives/demo/demo.json).

Idempotent: records are matched by slug, so a second run changes nothing. The demo's own
records are reset to their demo content; anything else in the database is left alone.
"""

import json
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from actors.models import Actor, Involvement
from evaluation.demo import load_demo_evaluations
from initiatives.curators import CURATORS_GROUP
from initiatives.models import Initiative, Territory, Theme

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo.json"
DEMO_CURATOR = ("curateur", "essaim-demo")


class Command(BaseCommand):
    help = "Load the demo initiatives, actors, themes and territories (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-curator",
            action="store_true",
            help=f"Also create the curator account {DEMO_CURATOR[0]!r} with the documented "
            "demo password (refused outside a local SQLite database).",
        )

    def handle(self, *args, demo_curator=False, **options):
        if demo_curator and connection.vendor != "sqlite":
            raise CommandError("The demo curator account is only for the local SQLite database.")
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            territories = self.load_territories(data["territories"])
            themes = self.load_themes(data["themes"])
            actors = self.load_actors(data["actors"], territories)
            self.load_initiatives(data["initiatives"], territories, themes, actors)
            load_demo_evaluations()
            if demo_curator:
                self.create_demo_curator()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(data['initiatives'])} initiatives, {len(data['actors'])} "
                f"actors, {len(data['themes'])} themes, {len(data['territories'])} territories."
            )
        )

    def load_territories(self, rows):
        territories = {}
        for row in rows:
            territories[row["slug"]], _ = Territory.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "code": row["code"],
                    "country": row["country"],
                    "parent": territories.get(row["parent"]) if row["parent"] else None,
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                },
            )
        return territories

    def load_themes(self, rows):
        themes = {}
        for position, row in enumerate(rows):
            themes[row["slug"]], _ = Theme.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "parent": themes[row["parent"]] if row["parent"] else None,
                    "description": row["description"],
                    "color": row["color"],
                    "position": position,
                },
            )
        return themes

    def load_actors(self, rows, territories):
        actors = {}
        for row in rows:
            actors[row["slug"]], _ = Actor.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "sector": row["sector"],
                    "website": row["website"],
                    "description": row["description"],
                    "territory": territories[row["territory"]] if row["territory"] else None,
                },
            )
        return actors

    def load_initiatives(self, rows, territories, themes, actors):
        initiatives = {}
        text_fields = [
            "name", "summary", "description", "how_it_works", "obstacles", "enablers",
            "lessons", "stage", "legal_form", "year_started", "website", "address",
            "latitude", "longitude", "status",
        ]  # fmt: skip
        for row in rows:
            initiative, _ = Initiative.objects.update_or_create(
                slug=row["slug"],
                defaults={
                    **{field: row[field] for field in text_fields},
                    "commune": territories[row["commune"]] if row["commune"] else None,
                    "replicated_from": initiatives[row["replicated_from"]]
                    if row["replicated_from"]
                    else None,
                },
            )
            initiative.themes.set([themes[slug] for slug in row["themes"]])
            initiative.action_territories.set(
                [territories[slug] for slug in row["action_territories"]]
            )
            kept = []
            for involvement in row["involvements"]:
                kept.append(
                    Involvement.objects.update_or_create(
                        initiative=initiative,
                        actor=actors[involvement["actor"]],
                        role=involvement["role"],
                        defaults={
                            field: involvement[field]
                            for field in ("taker_kind", "start_year", "end_year", "amount", "note")
                        },
                    )[0].pk
                )
            initiative.involvements.exclude(pk__in=kept).delete()
            initiatives[row["slug"]] = initiative

    def create_demo_curator(self):
        username, password = DEMO_CURATOR
        user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        user.is_staff = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=CURATORS_GROUP))
