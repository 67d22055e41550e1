"""Fill the database with a realistic generated directory, for the benchmark.

    python manage.py generate_directory --initiatives 100000 --seed 1 [--cog-dir DIR]

The initiatives are spread over France's communes weighted by their population (the COG's
`donnees_communes.csv`, from --cog-dir or shipped), each with 1–3 themes, 2–6 involvements
over a shared pool of actors (a few funders involved in thousands of initiatives), all stages
and legal forms, a point near its place for about 90% of them and about 5% drafts. The same
seed gives the same directory.

It writes through the bulk path: rows in bulk, search documents given at insert, then one
call to `freshness.directory_changed()`. Generated data gets no history: it stands for a
directory, it was never edited.
"""

import csv
import datetime
import gzip
import io
import itertools
import random
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from actors.models import Actor, Involvement
from initiatives import freshness
from initiatives.models import Initiative, Territory, Theme
from initiatives.search import new_search_document, place_names, theme_names
from initiatives.territories import SHIPPED_COG, TerritoryImport, read_cog

BATCH = 5000
# Funders present in so many initiatives that their pages and facets weigh.
BIG_FUNDERS = [
    ("Fonds social européen", Actor.Kind.PUBLIC_AGENCY),
    ("Banque des Territoires", Actor.Kind.FUNDER),
    ("France Active", Actor.Kind.NETWORK),
    ("Fondation de France", Actor.Kind.FOUNDATION),
    ("Fondation Macif", Actor.Kind.FOUNDATION),
]
KINDS = [
    "Ressourcerie", "Épicerie solidaire", "Jardin partagé", "Tiers-lieu", "Repair café",
    "Atelier vélo", "Habitat participatif", "Recyclerie", "Cantine solidaire",
    "Monnaie locale", "Coopérative d'habitants", "Garage solidaire", "Fab lab", "AMAP",
    "Café associatif", "Crèche parentale", "Entreprise d'insertion", "Conciergerie solidaire",
    "Ferme urbaine", "Covoiturage rural", "Bibliothèque d'objets", "Chantier d'insertion",
    "Maison de santé", "Pôle territorial de coopération", "Boutique sans argent",
]  # fmt: skip
QUALITIES = [
    "solidaire", "citoyen", "coopératif", "du quartier", "des habitants", "partagé",
    "itinérant", "durable", "de proximité", "intergénérationnel",
]  # fmt: skip
PURPOSES = [
    "remet en état et revend des objets du quotidien",
    "accompagne les personnes éloignées de l'emploi",
    "rapproche producteurs et habitants autour d'une alimentation saine",
    "propose des activités pour tous les âges",
    "partage des outils et des savoir-faire",
    "loge des familles à des loyers modérés",
    "forme des jeunes aux métiers du réemploi",
    "réduit les déchets du territoire",
]  # fmt: skip
# Rarer words, each in a small share of the initiatives: for searches that find few.
RARE_WORDS = [
    "luthier", "apiculture", "vannerie", "boulangerie", "menuiserie", "compostage",
    "permaculture", "sérigraphie", "cordonnerie", "maraîchage", "tricot", "céramique",
    "ludothèque", "herboristerie", "fromagerie", "tonnellerie", "reliure", "brasserie",
    "savonnerie", "forge",
]  # fmt: skip
ACTOR_KINDS = [
    ("Association", Actor.Kind.ASSOCIATION, Actor.Sector.ESS),
    ("Coopérative", Actor.Kind.COOPERATIVE, Actor.Sector.ESS),
    ("Commune de", Actor.Kind.LOCAL_AUTHORITY, Actor.Sector.PUBLIC),
    ("Fondation", Actor.Kind.FOUNDATION, Actor.Sector.ESS),
    ("Entreprise", Actor.Kind.COMPANY, Actor.Sector.PRIVATE),
]
ROLES = [Involvement.Role.FUNDER, Involvement.Role.SUPPORT, Involvement.Role.TAKER]


class Command(BaseCommand):
    help = "Fill the database with a generated directory of N initiatives (for the benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--initiatives", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--cog-dir",
            type=Path,
            help="A COG folder (regions.csv, departements.csv, communes.csv and, for the "
            "populations, donnees_communes.csv); by default the COG shipped with Essaim.",
        )

    def handle(self, *args, initiatives, seed, cog_dir=None, **options):
        if initiatives < 1:
            raise CommandError("--initiatives must be at least 1.")
        if Actor.objects.filter(slug=big_funder_slug(BIG_FUNDERS[0][0], seed)).exists():
            raise CommandError(f"A directory was already generated with seed {seed} here.")
        if not Theme.objects.exists():
            call_command("load_demo", verbosity=0)
        with transaction.atomic():
            if cog_dir:
                TerritoryImport().run(read_cog(cog_dir))
            generator = Generator(random.Random(seed), seed, populations(cog_dir or SHIPPED_COG))
            total = generator.run(initiatives)
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner takes 100,000 new rows for a handful and
            # nests loops over them (15 s for a région's count) until autovacuum analyzes.
            with connection.cursor() as cursor:
                for model in (Initiative, Initiative.themes.through, Involvement, Actor):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(f"Generated {total} initiatives and {generator.actor_count} actors.")


def big_funder_slug(name, seed):
    return f"{slugify(name)}-g{seed}"


def populations(cog_dir):
    """{commune code: legal population} from the COG's donnees_communes.csv[.gz], or {}."""
    for name, opener in (("donnees_communes.csv", open), ("donnees_communes.csv.gz", gzip.open)):
        path = Path(cog_dir) / name
        if path.is_file():
            with opener(path, "rb") as file:
                text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
                return {
                    row["COM"]: int(row["PMUN"] or 0) for row in csv.DictReader(text, delimiter=";")
                }
    return {}


class Generator:
    def __init__(self, rng, seed, population):
        self.rng, self.seed = rng, seed
        communes = list(
            Territory.objects.filter(kind=Territory.Kind.COMMUNE, country="FR")
            .order_by("code")
            .values_list("pk", "code", "name", "path", "latitude", "longitude", "parent_id")
        )
        if not communes:
            raise CommandError("No French commune here: run load_demo or give --cog-dir.")
        self.communes = communes
        self.cumulative_weights = list(
            itertools.accumulate(population.get(code) or 1 for _pk, code, *_rest in communes)
        )
        self.centres = {
            pk: (latitude, longitude)
            for pk, latitude, longitude in Territory.objects.exclude(latitude=None).values_list(
                "pk", "latitude", "longitude"
            )
        }
        self.places = place_names(Territory.objects, {commune[3] for commune in communes})
        themes = list(Theme.objects.filter(parent__isnull=False).values_list("pk", flat=True))
        self.themes = themes or list(Theme.objects.values_list("pk", flat=True))
        self.theme_names = theme_names(Theme.objects)
        self.actor_count = 0

    def run(self, count):
        now = timezone.now()
        big_funders, pool = self.create_actors(max(20, count // 20))
        ids = []
        for start in range(0, count, BATCH):
            batch = [
                self.initiative(number, now) for number in range(start, min(count, start + BATCH))
            ]
            involvements, themes = {}, {}
            for initiative, commune in batch:
                involvements[initiative.slug] = self.involvements(big_funders, pool)
                themes[initiative.slug] = self.rng.sample(
                    self.themes, k=min(len(self.themes), self.rng.randint(1, 3))
                )
                initiative.search_document = new_search_document(
                    initiative,
                    [name for theme in themes[initiative.slug] for name in self.theme_names[theme]],
                    self.places.get(commune[3], []),
                    [actor.name for actor, _role in involvements[initiative.slug]],
                )
            created = Initiative.objects.bulk_create([i for i, _commune in batch])
            Initiative.themes.through.objects.bulk_create(
                Initiative.themes.through(initiative_id=initiative.pk, theme_id=theme)
                for initiative in created
                for theme in themes[initiative.slug]
            )
            Involvement.objects.bulk_create(
                self.involvement(initiative, actor, role)
                for initiative in created
                for actor, role in involvements[initiative.slug]
            )
            ids += [initiative.pk for initiative in created]
        freshness.directory_changed(inserted=ids)
        return len(ids)

    def create_actors(self, size):
        rng = self.rng
        big = [
            Actor(
                name=name, slug=f"{slugify(name)}-g{self.seed}", kind=kind, sector=Actor.Sector.ESS
            )
            for name, kind in BIG_FUNDERS
        ]
        pool = []
        for number in range(size):
            label, kind, sector = rng.choice(ACTOR_KINDS)
            place = self.communes[rng.randrange(len(self.communes))][2]
            name = (
                f"{label} {place}"
                if label == "Commune de"
                else f"{label} {rng.choice(KINDS)} {place}"
            )
            pool.append(
                Actor(
                    name=name,
                    slug=f"{slugify(name)[:180]}-g{self.seed}-{number}",
                    kind=kind,
                    sector=sector,
                )
            )
        Actor.objects.bulk_create(big + pool, batch_size=BATCH)
        self.actor_count = len(big) + len(pool)
        return big, pool

    def initiative(self, number, now):
        rng = self.rng
        commune = rng.choices(self.communes, cum_weights=self.cumulative_weights)[0]
        kind = rng.choice(KINDS)
        name = f"{kind} {rng.choice(QUALITIES)} de {commune[2]}"
        latitude = longitude = None
        if rng.random() < 0.9:
            # Near the commune's centre when known, else around its département's.
            centre = self.centres.get(commune[0])
            spread = 0.02
            if centre is None:
                centre, spread = self.centres.get(commune[6]), 0.25
            if centre:
                latitude = max(-90, min(90, rng.gauss(centre[0], spread)))
                longitude = max(-180, min(180, rng.gauss(centre[1], spread)))
        published = rng.random() >= 0.05
        return (
            Initiative(
                name=name,
                slug=f"{slugify(name)[:170]}-g{self.seed}-{number + 1}",
                summary=f"{kind} qui {rng.choice(PURPOSES)} à {commune[2]}.",
                description=f"Un projet de {rng.choice(RARE_WORDS)} porté par ses habitants.",
                stage=rng.choice(Initiative.Stage.values),
                legal_form=rng.choice(Initiative.LegalForm.values),
                year_started=rng.randint(1985, 2026),
                commune_id=commune[0],
                latitude=latitude,
                longitude=longitude,
                status=Initiative.Status.PUBLISHED if published else Initiative.Status.DRAFT,
                published_at=now - datetime.timedelta(days=rng.randint(0, 3650))
                if published
                else None,
            ),
            commune,
        )

    def involvements(self, big_funders, pool):
        """[(actor, role)]: a carrier, then 1–5 more, a big funder in about a third."""
        rng = self.rng
        chosen = [(rng.choice(pool), Involvement.Role.CARRIER)]
        if rng.random() < 0.35:
            chosen.append((rng.choice(big_funders), Involvement.Role.FUNDER))
        size = rng.randint(2, 6)
        while len(chosen) < size:
            chosen.append((rng.choice(pool), rng.choice(ROLES)))
        return list(dict.fromkeys(chosen))  # the same actor twice in a role is one involvement

    def involvement(self, initiative, actor, role):
        rng = self.rng
        return Involvement(
            initiative=initiative,
            actor=actor,
            role=role,
            amount=Decimal(rng.randrange(1, 200)) * 1000
            if role == Involvement.Role.FUNDER
            else None,
            taker_kind=rng.choice(Involvement.TakerKind.values)
            if role == Involvement.Role.TAKER
            else "",
        )
