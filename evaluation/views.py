from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.generic import DetailView, TemplateView

from .charts import radar_chart
from .forms import CompareForm
from .models import Assessment, Dimension, Framework, Indicator
from .profiles import compare


class EvaluationIndexView(TemplateView):
    """The grids explained, with how many initiatives were assessed with each: five queries."""

    template_name = "evaluation/index.html"

    def get_context_data(self, **kwargs):
        frameworks = (
            Framework.objects.current()
            .with_assessed_count()
            .select_related("scale")
            .prefetch_related(
                "scale__levels",
                Prefetch("dimensions", Dimension.objects.prefetch_related("criteria")),
            )
        )
        return super().get_context_data(
            frameworks=frameworks,
            indicators=Indicator.objects.select_related("theme"),
            **kwargs,
        )


class AssessmentDetailView(DetailView):
    """Every criterion's level and evidence in one public assessment: six queries."""

    template_name = "evaluation/assessment_detail.html"
    context_object_name = "assessment"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Assessment.objects.published().select_related("framework__scale", "initiative"),
            pk=self.kwargs["pk"],
            initiative__slug=self.kwargs["slug"],
        )

    def get_context_data(self, **kwargs):
        assessment = self.object
        framework = assessment.framework
        scores = {score.criterion_id: score for score in assessment.scores.select_related("level")}
        dimension_scores = {
            row["dimension"]: row["score"]
            for row in Assessment.objects.filter(pk=assessment.pk).dimension_scores()
        }
        dimensions = list(framework.dimensions.prefetch_related("criteria"))
        levels = [(level.value, level.label) for level in framework.scale.levels.all()]
        sections = [
            {
                "dimension": dimension,
                "score": dimension_scores.get(dimension.pk),
                "criteria": [
                    (criterion, scores.get(criterion.pk)) for criterion in dimension.criteria.all()
                ],
            }
            for dimension in dimensions
        ]
        chart = radar_chart(
            f"radar-{assessment.pk}",
            _("%(grid)s: profile of %(initiative)s")
            % {"grid": framework.name, "initiative": assessment.initiative.name},
            [(dimension.code, dimension.name) for dimension in dimensions],
            [(assessment.initiative.name, [section["score"] for section in sections])],
            levels,
        )
        return super().get_context_data(
            sections=sections,
            levels=levels,
            chart=chart,
            rows=[(section["dimension"], section["score"]) for section in sections],
            **kwargs,
        )


def compare_initiatives(request):
    """/comparer/?i=<slug>&i=<slug>: two to four profiles side by side, in five queries."""
    if not request.GET.getlist("i"):
        return render(request, "evaluation/compare.html", {"form": None})
    form = CompareForm(request.GET)
    if not form.is_valid():
        return render(request, "evaluation/compare.html", {"form": form}, status=400)
    initiatives = form.cleaned_data["i"]
    return render(
        request,
        "evaluation/compare.html",
        {"form": form, "initiatives": initiatives, "comparisons": compare(initiatives)},
    )
