"""The evaluation filters of the initiative list (used by initiatives.filters.InitiativeFilter).

framework=<grid slug>: initiatives with a published assessment made with that grid (any
version). dimension=<grid slug>.<dimension code>&dimension_min=<number>: initiatives whose
latest published assessment with that grid scores at least that much on that dimension, the
score being AssessmentQuerySet.dimension_scores (the one definition of a dimension score).
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import SuffixedMultiWidget

from initiatives import freshness

from .models import Assessment, Dimension, Framework


def grids_with_dimensions():
    """The current grids, each with its [(dimension key, name)]: one query, or none from the
    cache while the directory has not changed (every list and map page shows them).

    A dimension's key, "<grid slug>.<dimension code>", is the dimension filter's value.
    """
    return freshness.cached("grids-with-dimensions", read_grids_with_dimensions)


def read_grids_with_dimensions():
    grids = {}
    dimensions = (
        Dimension.objects.filter(framework__is_current=True)
        .select_related("framework")
        .order_by("framework__name", "position", "code")
    )
    for dimension in dimensions:
        framework = dimension.framework
        grid = grids.setdefault(
            framework.slug, {"slug": framework.slug, "name": framework.name, "dimensions": []}
        )
        grid["dimensions"].append((f"{framework.slug}.{dimension.code}", dimension.name))
    return list(grids.values())


def dimension_choices():
    return [
        ("", _("any dimension")),
        *((grid["name"], grid["dimensions"]) for grid in grids_with_dimensions()),
    ]


class DimensionScoreWidget(SuffixedMultiWidget):
    suffixes = ["", "min"]

    def __init__(self, attrs=None):
        super().__init__((forms.Select, forms.NumberInput(attrs={"step": "0.5"})), attrs)


class DimensionScoreField(forms.MultiValueField):
    """A grid's dimension and a minimum score: (slug, code, minimum or None), or None."""

    widget = DimensionScoreWidget

    def __init__(self, *args, **kwargs):
        fields = (
            forms.ChoiceField(choices=dimension_choices, required=False),
            forms.DecimalField(min_value=-10, max_value=10, decimal_places=2, required=False),
        )
        super().__init__(fields, *args, require_all_fields=False, **kwargs)
        self.widget.widgets[0].choices = self.fields[0].choices

    def compress(self, data_list):
        if data_list and not data_list[0] and data_list[1] is not None:
            raise forms.ValidationError(_("Choose the dimension the minimum score is about."))
        if not data_list or not data_list[0]:
            return None
        slug, _sep, code = data_list[0].partition(".")
        minimum = data_list[1] if len(data_list) > 1 else None
        return slug, code, minimum


class DimensionScoreFilter(django_filters.Filter):
    field_class = DimensionScoreField

    def filter(self, qs, value):
        if not value:
            return qs
        slug, code, minimum = value
        assessments = Assessment.objects.latest_published().with_dimension_score_at_least(
            code, minimum, framework_slug=slug
        )
        return qs.filter(pk__in=assessments.values("initiative"))


class AssessedWithFilter(django_filters.ModelChoiceFilter):
    """Initiatives with a published assessment made with any version of a grid."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Framework.objects.current())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", _("any grid"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        assessed = Assessment.objects.published().filter(framework__slug=value.slug)
        return qs.filter(pk__in=assessed.values("initiative"))
