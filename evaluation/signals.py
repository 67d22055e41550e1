"""An initiative counts as updated when its assessments change: the list and the map filter on
published assessments (framework, dimension scores), and the map's ETag follows updated_at
(see initiatives/signals.py)."""

from django.db.models.signals import post_delete, post_save

from initiatives.models import Initiative

from .models import Assessment, CriterionScore


def assessment_changed(sender, instance, **kwargs):
    Initiative.objects.filter(pk=instance.initiative_id).touch()


def score_changed(sender, instance, **kwargs):
    Initiative.objects.filter(assessments=instance.assessment_id).touch()


def connect():
    for signal, suffix in ((post_save, ""), (post_delete, "_del")):
        signal.connect(
            assessment_changed, sender=Assessment, dispatch_uid=f"touch_assessment{suffix}"
        )
        signal.connect(score_changed, sender=CriterionScore, dispatch_uid=f"touch_score{suffix}")
