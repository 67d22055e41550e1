from django import forms
from django.core.validators import validate_slug
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from initiatives.models import Initiative

from .models import Assessment, Criterion, CriterionScore, Framework, Observation


class CompareForm(forms.Form):
    """The initiatives of /comparer/?i=<slug>&i=<slug>…: two to four published ones."""

    MINIMUM, MAXIMUM = 2, 4

    i = forms.Field(widget=forms.MultipleHiddenInput, required=False)

    def clean_i(self):
        slugs = list(dict.fromkeys(slug.strip() for slug in self.cleaned_data["i"] or []))
        slugs = [slug for slug in slugs if slug]
        if not self.MINIMUM <= len(slugs) <= self.MAXIMUM:
            raise forms.ValidationError(
                _(
                    "Choose between %(minimum)d and %(maximum)d initiatives to compare "
                    "(%(count)d given)."
                ),
                params={"minimum": self.MINIMUM, "maximum": self.MAXIMUM, "count": len(slugs)},
            )
        malformed = []
        for slug in slugs:
            try:
                validate_slug(slug)
            except forms.ValidationError:
                malformed.append(slug)
        found = (
            {} if malformed else Initiative.objects.published().in_bulk(slugs, field_name="slug")
        )
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise forms.ValidationError(
                ngettext(
                    "No published initiative has the address “%(slugs)s”.",
                    "No published initiative has these addresses: %(slugs)s.",
                    len(unknown),
                ),
                params={"slugs": ", ".join(unknown)},
            )
        return [found[slug] for slug in slugs]


NOT_SCORED = ""
NOT_APPLICABLE = "na"


class AssessmentForm(forms.ModelForm):
    """An assessment with, for each criterion of its grid, a level, evidence and a link.

    Built for one grid version by assessment_form_for(); the level picker offers only the
    levels of that grid's scale. A draft may leave criteria unscored; publishing needs them all.
    """

    framework = None
    criteria = ()

    class Meta:
        model = Assessment
        fields = ["initiative", "status", "date", "method", "participants", "summary", "assessor"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.framework = self.framework
        if self.instance.pk:
            for score in self.instance.scores.select_related("level"):
                names = criterion_fields(score.criterion_id)
                self.initial[names["level"]] = (
                    str(score.level.value) if score.level_id else NOT_APPLICABLE
                )
                self.initial[names["evidence"]] = score.evidence
                self.initial[names["link"]] = score.link

    def clean(self):
        cleaned_data = super().clean()
        publishing = cleaned_data.get("status") == Assessment.Status.PUBLISHED
        for criterion in self.criteria:
            names = criterion_fields(criterion.pk)
            level = cleaned_data.get(names["level"], NOT_SCORED)
            if level != NOT_SCORED:
                continue
            if cleaned_data.get(names["evidence"]) or cleaned_data.get(names["link"]):
                self.add_error(
                    names["level"], _("Give a level (or “not applicable”) to go with the evidence.")
                )
            elif publishing:
                self.add_error(
                    names["level"],
                    _("Give a level or mark it not applicable before publishing."),
                )
        return cleaned_data

    def save_scores(self):
        """Write the criterion scores; call once the assessment itself is saved."""
        levels = {str(level.value): level for level in self.framework.scale.levels.all()}
        existing = {score.criterion_id: score for score in self.instance.scores.all()}
        for criterion in self.criteria:
            names = criterion_fields(criterion.pk)
            level = self.cleaned_data[names["level"]]
            score = existing.get(criterion.pk)
            if level == NOT_SCORED:
                if score:
                    score.delete()
                continue
            score = score or CriterionScore(assessment=self.instance, criterion=criterion)
            score.level = None if level == NOT_APPLICABLE else levels[level]
            score.evidence = self.cleaned_data[names["evidence"]]
            score.link = self.cleaned_data[names["link"]]
            score.save()


def criterion_fields(criterion_pk):
    """The names of a criterion's three fields in the assessment form."""
    return {part: f"criterion_{criterion_pk}_{part}" for part in ("level", "evidence", "link")}


def assessment_form_for(framework):
    """An AssessmentForm class for this grid version: three declared fields per criterion."""
    criteria = list(
        Criterion.objects.filter(dimension__framework=framework).select_related("dimension")
    )
    choices = [
        (NOT_SCORED, _("— not scored yet —")),
        (NOT_APPLICABLE, _("not applicable")),
        *((str(level.value), str(level)) for level in framework.scale.levels.all()),
    ]
    attrs = {"framework": framework, "criteria": criteria}
    for criterion in criteria:
        names = criterion_fields(criterion.pk)
        attrs[names["level"]] = forms.ChoiceField(
            label=f"{criterion.code} {criterion.label}",
            choices=choices,
            required=False,
            # The admin renders help texts as HTML: escape the curators' text.
            help_text=conditional_escape(criterion.guidance),
        )
        attrs[names["evidence"]] = forms.CharField(
            label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
        attrs[names["link"]] = forms.URLField(
            label=_("Link"), required=False, max_length=500, assume_scheme="https"
        )
    return type("AssessmentForm", (AssessmentForm,), attrs)


class AssessmentStartForm(forms.Form):
    """Step one of a new assessment: which initiative, with which grid."""

    initiative = forms.ModelChoiceField(
        label=_("Initiative"), queryset=Initiative.objects.all(), required=False
    )
    framework = forms.ModelChoiceField(
        label=_("Evaluation grid"),
        queryset=Framework.objects.current().order_by("name"),
        empty_label=None,
    )


class ObservationForm(forms.ModelForm):
    """An observation for a calendar year, or for any period between two dates."""

    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=1800,
        max_value=2100,
        help_text=_("Or give the period's start and end dates."),
    )

    class Meta:
        model = Observation
        fields = ["indicator", "year", "period_start", "period_end", "value", "source", "note"]
        # Curators type decimals the French way ("22,5").
        localized_fields = ["value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        if self.instance.pk and self.instance.year:
            self.initial["year"] = self.instance.year
            self.initial["period_start"] = self.initial["period_end"] = None

    def clean(self):
        cleaned_data = super().clean()
        year = cleaned_data.get("year")
        start, end = cleaned_data.get("period_start"), cleaned_data.get("period_end")
        if year and (start or end):
            raise forms.ValidationError(_("Give a year or a period, not both."))
        if year:
            start, end = Observation.year_period(year)
        elif not (start and end):
            raise forms.ValidationError(_("Give a year, or the period's start and end dates."))
        self.instance.period_start = cleaned_data["period_start"] = start
        self.instance.period_end = cleaned_data["period_end"] = end
        return cleaned_data


class ObservationImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: initiative (its slug, or its identifier in a source written "
            "source:identifier, e.g. transiscope:4f2a) or territory (slug), indicator (slug), "
            "period (2019, or 2018-01-01/2018-06-30), value, source, and optionally note. Comma "
            "or semicolon separated, UTF-8."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file without saving anything"), required=False, initial=True
    )
