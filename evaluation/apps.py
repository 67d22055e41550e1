from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from initiatives import freshness, history

        from .models import Assessment

        # Grids, assessments and figures are all public: every write bumps the version. None
        # is copied into a search document.
        for model in self.get_models():
            freshness.watch(model)
        history.keep_counting_edits(Assessment)
