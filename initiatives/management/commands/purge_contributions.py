"""Delete the contributors' names and e-mails kept longer than the privacy page says:

    python manage.py purge_contributions

CONTRIBUTOR_DATA_RETENTION_DAYS after the moderation of a proposal (publication, merge or
rejection) or of a correction, its contributor's name and e-mail are blanked; the proposal,
the correction and the initiative stay. One still waiting keeps them: a curator may ask.
Run it daily (cron, docs/operations.md).
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from initiatives.models import Correction, Proposal


class Command(BaseCommand):
    help = "Blank the contributors' names and e-mails past their retention after moderation."

    def handle(self, *args, **options):
        limit = timezone.now() - datetime.timedelta(days=settings.CONTRIBUTOR_DATA_RETENTION_DAYS)
        for model in (Proposal, Correction):
            purged = (
                model.objects.filter(moderated_at__lt=limit)
                .exclude(contributor_name="", contributor_email="")
                .update(contributor_name="", contributor_email="")
            )
            self.stdout.write(
                f"Contact data deleted from {purged} {model._meta.verbose_name_plural} moderated "
                f"before {limit:%Y-%m-%d}."
            )
