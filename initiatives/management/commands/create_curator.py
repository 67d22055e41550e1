from getpass import getpass

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from initiatives.curators import CURATORS_GROUP
from initiatives.models import TerritorialCurator, Territory


class Command(BaseCommand):
    help = (
        "Create a curator: a staff account in the Curators group, who manages initiatives, "
        "actors, themes, territories and evaluations, but not users."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--territory",
            action="append",
            default=[],
            metavar="SLUG",
            help="Limit the curator to this territory's subtree (repeatable), e.g. a région "
            "for its CRESS. Without it, the curator curates the whole directory.",
        )

    def handle(self, *args, username, email, territory, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        territories = list(Territory.objects.filter(slug__in=territory))
        unknown = set(territory) - {t.slug for t in territories}
        if unknown:
            raise CommandError(f"No territory has the slug {', '.join(sorted(unknown))}.")
        password = self.ask_password(User(username=username, email=email))
        with transaction.atomic():
            user = User.objects.create_user(username, email=email, password=password, is_staff=True)
            user.groups.add(Group.objects.get(name=CURATORS_GROUP))
            TerritorialCurator.objects.bulk_create(
                TerritorialCurator(user=user, territory=place) for place in territories
            )
        self.stdout.write(self.style.SUCCESS(f"Curator {username!r} created; log in to the admin."))

    def ask_password(self, user):
        while True:
            password = getpass("Password: ")
            if password != getpass("Password (again): "):
                self.stderr.write("The two passwords differ.")
                continue
            try:
                # With the user: a password like the username or the e-mail is refused.
                validate_password(password, user=user)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return password
