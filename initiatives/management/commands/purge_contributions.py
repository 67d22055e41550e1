"""Delete the contributors' names and e-mails kept longer than the privacy page says:

    python manage.py purge_contributions

CONTRIBUTOR_DATA_RETENTION_DAYS after a proposal's moderation (publication, merge or
rejection), its contributor's name and e-mail are blanked; the proposal and its initiative
stay. A proposal still waiting keeps them: a curator may need to ask. Run it daily (cron,
docs/operations.md).
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from initiatives.models import Proposal


class Command(BaseCommand):
    help = "Blank the contributors' names and e-mails past their retention after moderation."

    def handle(self, *args, **options):
        limit = timezone.now() - datetime.timedelta(days=settings.CONTRIBUTOR_DATA_RETENTION_DAYS)
        purged = (
            Proposal.objects.filter(moderated_at__lt=limit)
            .exclude(contributor_name="", contributor_email="")
            .update(contributor_name="", contributor_email="")
        )
        self.stdout.write(
            f"Contact data deleted from {purged} proposals moderated before {limit:%Y-%m-%d}."
        )
