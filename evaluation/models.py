"""Evaluation grids, assessments with their evidence, and social-utility indicators.

A grid (Framework) is versioned: each version is its own row, and once a version has been
used by an assessment its dimensions and criteria are frozen. Changing a grid means revising
it (Framework.revise), so past assessments keep showing what the assessor actually scored.
"""

import datetime

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from initiatives import freshness
from initiatives.models import Initiative, Territory, Theme, ValidatedOnce, count_edit

from .charts import format_number


class Scale(models.Model):
    """The ordered levels an assessor picks from, e.g. 0 "totalement absent" to 3."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("scale")
        verbose_name_plural = _("scales")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def bounds(self):
        """(lowest, highest) level value; reads prefetched levels when there are some."""
        values = [level.value for level in self.levels.all()]
        return min(values), max(values)


class ScaleLevel(models.Model):
    scale = models.ForeignKey(
        Scale, verbose_name=_("scale"), on_delete=models.CASCADE, related_name="levels"
    )
    value = models.SmallIntegerField(_("value"))
    label = models.CharField(_("label"), max_length=120)

    class Meta:
        verbose_name = _("scale level")
        verbose_name_plural = _("scale levels")
        ordering = ["scale", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="scale_level_unique_value"),
        ]

    def __str__(self):
        return f"{self.value} — {self.label}"


class FrameworkKind(models.TextChoices):
    CHARACTERISATION = "characterisation", _("characterisation")
    PROCESS = "process", _("process")
    IMPACT = "impact", _("impact")
    WELL_BEING = "well_being", _("well-being")


class FrameworkQuerySet(models.QuerySet):
    def current(self):
        """The version of each grid that new assessments use."""
        return self.filter(is_current=True)

    def with_assessed_count(self):
        """Annotate how many public initiatives were assessed with any version of each grid."""
        assessed = (
            Assessment.objects.published()
            .filter(framework__slug=OuterRef("slug"))
            .order_by()
            .values("framework__slug")
            .annotate(count=Count("initiative", distinct=True))
            .values("count")
        )
        return self.annotate(assessed_count=Coalesce(Subquery(assessed), 0))


class Framework(models.Model):
    """One version of an evaluation grid."""

    Kind = FrameworkKind

    slug = models.SlugField(
        _("slug"), max_length=80, help_text=_("Shared by every version of the same grid.")
    )
    version = models.CharField(_("version"), max_length=20, default="1.0")
    is_current = models.BooleanField(
        _("current version"),
        default=True,
        help_text=_("New assessments use the current version; older ones keep theirs."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=400, blank=True)
    licence_note = models.TextField(_("licence note"), blank=True)
    description = models.TextField(_("description"), blank=True)
    scale = models.ForeignKey(
        Scale, verbose_name=_("scale"), on_delete=models.PROTECT, related_name="frameworks"
    )
    revised_from = models.ForeignKey(
        "self",
        verbose_name=_("revised from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisions",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation grid")
        verbose_name_plural = _("evaluation grids")
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="framework_unique_version"),
            # Exactly one version of a grid is offered for new assessments.
            models.UniqueConstraint(
                fields=["slug"], condition=Q(is_current=True), name="framework_one_current_version"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=FrameworkKind.values), name="framework_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def get_absolute_url(self):
        return reverse("evaluation_index") + f"#{self.slug}"

    @property
    def is_frozen(self):
        """True once an assessment uses this version (one query)."""
        return self.pk is not None and self.assessments.exists()

    def next_version(self):
        """ "1.0" → "1.1", "2" → "3": the last number goes up by one."""
        head, _sep, last = self.version.rpartition(".")
        if not last.isdigit():
            raise ValueError(f"Cannot compute the version after {self.version!r}.")
        return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)

    @transaction.atomic
    def revise(self, version=None):
        """Copy this version, its dimensions and criteria, into a new current version.

        Past assessments stay attached to this version and are not altered.
        """
        version = version or self.next_version()
        Framework.objects.filter(slug=self.slug).update(is_current=False)
        dimensions = list(self.dimensions.prefetch_related("criteria"))
        new = Framework.objects.get(pk=self.pk)
        new.pk = None
        new.version = version
        new.is_current = True
        new.revised_from = self
        new.save()
        for dimension in dimensions:
            criteria = list(dimension.criteria.all())
            dimension.pk = None
            dimension.framework = new
            dimension.save()
            for criterion in criteria:
                criterion.pk = None
                criterion.dimension = dimension
            Criterion.objects.bulk_create(criteria)
        self.is_current = False
        return new


def frozen_framework_error(framework):
    return ValidationError(
        _(
            "%(framework)s has been used by assessments, so its dimensions and criteria "
            "can no longer change. Revise it to create a new version."
        ),
        params={"framework": framework},
        code="frozen",
    )


class Dimension(models.Model):
    """A family of criteria (e.g. "Processus"); its score is the mean of its criteria."""

    framework = models.ForeignKey(
        Framework,
        verbose_name=_("evaluation grid"),
        on_delete=models.CASCADE,
        related_name="dimensions",
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        ordering = ["framework", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="dimension_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def clean(self):
        if self.framework_id and self.framework.is_frozen:
            raise frozen_framework_error(self.framework)


class Criterion(models.Model):
    dimension = models.ForeignKey(
        Dimension, verbose_name=_("dimension"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=300)
    guidance = models.TextField(
        _("guidance for the assessor"),
        blank=True,
        help_text=_("What to look at, which evidence counts, what each level means."),
    )
    core = models.BooleanField(
        _("core criterion"), default=True, help_text=_("Unticked: a complementary criterion.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["dimension__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "code"], name="criterion_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} — {self.label}"

    def clean(self):
        if not self.dimension_id:
            return
        framework = self.dimension.framework
        if framework.is_frozen:
            raise frozen_framework_error(framework)
        same_code = Criterion.objects.filter(dimension__framework=framework, code=self.code)
        if same_code.exclude(pk=self.pk).exists():
            raise ValidationError({"code": _("Another criterion of this grid has this code.")})


class AssessmentMethod(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("self-assessment by the porteurs")
    CURATOR = "curator", _("assessment by a curator")
    PEER = "peer", _("peer assessment")
    PARTICIPATORY = "participatory", _("participatory assessment with the preneurs")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class AssessmentQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: published assessments of published initiatives."""
        return self.filter(
            status=Assessment.Status.PUBLISHED, initiative__status=Initiative.Status.PUBLISHED
        )

    def latest_published(self):
        """The latest published assessment of each initiative with each grid (any version)."""
        newer = Assessment.objects.published().filter(
            Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), pk__gt=OuterRef("pk")),
            initiative=OuterRef("initiative"),
            framework__slug=OuterRef("framework__slug"),
        )
        return self.published().filter(~Exists(newer))

    def for_profiles(self):
        """With their grid and initiative, for a radar: its scale's levels and its dimensions
        come from profiles.grid_parts(), the same for every page."""
        return self.select_related("framework", "initiative")

    def dimension_scores(self):
        """The one definition of a dimension score, one row per assessment and dimension.

        The score is the mean of the levels of the dimension's criteria; not-applicable
        criteria (no level) are left out of the mean, and a dimension whose criteria are all
        not applicable scores None. Rows: {"assessment", "dimension", "score"}.
        """
        return (
            CriterionScore.objects.filter(assessment__in=self.values("pk"))
            .values("assessment", dimension=models.F("criterion__dimension"))
            .annotate(score=Avg("level__value"))
            .order_by()
        )

    def complete(self):
        """Assessments whose every criterion is scored (a level, or not applicable)."""
        unscored = Criterion.objects.filter(dimension__framework=OuterRef("framework")).exclude(
            Exists(
                CriterionScore.objects.filter(
                    criterion=OuterRef("pk"), assessment=OuterRef(OuterRef("pk"))
                )
            )
        )
        return self.filter(~Exists(unscored))

    def publish(self):
        """Publish the complete ones (a draft may lack scores, a publication not)."""
        return freshness.update_in_bulk(
            self.complete(), "initiative_id", status=Assessment.Status.PUBLISHED
        )

    def unpublish(self):
        return freshness.update_in_bulk(self, "initiative_id", status=Assessment.Status.DRAFT)

    def with_dimension_score_at_least(self, dimension_code, minimum, framework_slug=None):
        """Assessments whose score on the dimension with this code reaches the minimum.

        Without a minimum: assessments with any score on it (not all not applicable).
        """
        scores = self.dimension_scores().filter(criterion__dimension__code=dimension_code)
        if minimum is None:
            scores = scores.filter(score__isnull=False)
        else:
            scores = scores.filter(score__gte=minimum)
        if framework_slug:
            scores = scores.filter(assessment__framework__slug=framework_slug)
        return self.filter(pk__in=scores.values("assessment"))


@reversion.register(follow=["scores"])
class Assessment(ValidatedOnce, models.Model):
    """An initiative assessed with one version of a grid, criterion by criterion."""

    Method = AssessmentMethod
    Status = AssessmentStatus

    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    framework = models.ForeignKey(
        Framework,
        verbose_name=_("evaluation grid"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    date = models.DateField(_("date"), default=datetime.date.today)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        help_text=_("The curator responsible for this assessment."),
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    participants = models.TextField(
        _("participants"), blank=True, help_text=_("Who took part: porteurs, preneurs, peers…")
    )
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("publication status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # See Initiative.edit_count.
    edit_count = models.PositiveIntegerField(default=0, editable=False)

    objects = AssessmentQuerySet.as_manager()

    # What a version in the history holds besides the row, prefetched: the scores, with the
    # criterion and the level that name them.
    HISTORY_LOOKUPS = ("scores__criterion", "scores__level")

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=AssessmentMethod.values), name="assessment_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="assessment_status_valid"
            ),
        ]
        indexes = [
            # An initiative's profile: its assessments, newest first.
            models.Index(fields=["initiative", "status", "-date"], name="assessment_initiative"),
        ]

    def __str__(self):
        return f"{self.initiative} — {self.framework} — {date_format(self.date)}"

    def save(self, *args, **kwargs):
        count_edit(self, kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("assessment_detail", args=[self.initiative.slug, self.pk])

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.initiative.status == Initiative.Status.PUBLISHED
        )

    def unscored_criteria(self):
        """Criteria of the grid with no score yet (a draft may have some, not a publication)."""
        return Criterion.objects.filter(dimension__framework=self.framework_id).exclude(
            scores__assessment=self
        )


@reversion.register()
class CriterionScore(models.Model):
    """The level given to one criterion, and the evidence behind it.

    No level means "not applicable": the criterion does not concern this initiative.
    """

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="scores"
    )
    level = models.ForeignKey(
        ScaleLevel,
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the criterion is not applicable."),
    )
    evidence = models.TextField(_("evidence"), blank=True)
    link = models.URLField(_("link to a source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        ordering = ["criterion__dimension__position", "criterion__position", "criterion__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="criterion_score_one_per_criterion"
            ),
        ]

    def __str__(self):
        return f"{self.criterion.code}: {self.level or _('not applicable')}"

    @property
    def is_applicable(self):
        return self.level_id is not None

    def clean(self):
        if not (self.assessment_id and self.criterion_id):
            return
        framework = self.assessment.framework
        if self.criterion.dimension.framework_id != framework.pk:
            raise ValidationError({"criterion": _("This criterion belongs to another grid.")})
        if self.level_id and self.level.scale_id != framework.scale_id:
            raise ValidationError(
                {"level": _("Pick a level of the grid's scale (%(scale)s).")},
                params={"scale": framework.scale},
            )


class IndicatorSubject(models.TextChoices):
    INITIATIVE = "initiative", _("an initiative")
    TERRITORY = "territory", _("a territory")


class Indicator(models.Model):
    """A quantity followed over time: jobs, beneficiaries, tonnes reused, well-being…"""

    Subject = IndicatorSubject

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    higher_is_better = models.BooleanField(_("more is better"), default=True)
    subject = models.CharField(
        _("measured on"), max_length=20, choices=Subject.choices, default=Subject.INITIATIVE
    )
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicators",
    )
    scale = models.ForeignKey(
        Scale,
        verbose_name=_("scale"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_(
            "For a level on a scale (e.g. SPIRAL 1–5): values must lie between its lowest and "
            "highest levels; averages in between are allowed."
        ),
    )

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__in=IndicatorSubject.values), name="indicator_subject_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"


@reversion.register()
class Observation(models.Model):
    """One value of an indicator, for an initiative or a territory, over a period.

    A calendar year is stored as 1 January – 31 December and shown as the year.
    """

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="observations",
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="observations",
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="observations",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source = models.CharField(
        _("source"), max_length=300, help_text=_("Where the figure comes from.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["indicator", "period_start", "period_end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(initiative__isnull=False, territory__isnull=True)
                | Q(initiative__isnull=True, territory__isnull=False),
                name="observation_one_subject",
                violation_error_message=_(
                    "An observation is about one initiative or one territory."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="observation_period_ordered",
                violation_error_message=_("The period ends before it starts."),
            ),
            # One value per indicator, subject and period: imports update it, never duplicate it.
            models.UniqueConstraint(
                fields=["indicator", "initiative", "period_start", "period_end"],
                condition=Q(initiative__isnull=False),
                name="observation_unique_initiative_period",
            ),
            models.UniqueConstraint(
                fields=["indicator", "territory", "period_start", "period_end"],
                condition=Q(territory__isnull=False),
                name="observation_unique_territory_period",
            ),
        ]

    def __str__(self):
        reading = _("%(period)s: %(value)s") % {
            "period": self.period_label,
            "value": format_number(self.value),
        }
        return f"{self.indicator.name} — {self.subject} — {reading}"

    @staticmethod
    def year_period(year):
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)

    @property
    def subject(self):
        return self.initiative if self.initiative_id else self.territory

    @property
    def year(self):
        """The calendar year the period covers exactly, else None."""
        if (self.period_start, self.period_end) == self.year_period(self.period_start.year):
            return self.period_start.year
        return None

    @property
    def period_label(self):
        if self.year:
            return str(self.year)
        return f"{date_format(self.period_start, 'SHORT_DATE_FORMAT')} – " + date_format(
            self.period_end, "SHORT_DATE_FORMAT"
        )

    @property
    def short_period_label(self):
        """For a chart's axis: "2019", or "01–06/2018" for part of a year."""
        if self.year:
            return str(self.year)
        start, end = self.period_start, self.period_end
        if start.year == end.year:
            return f"{start:%m}–{end:%m}/{end.year}"
        return f"{start:%m/%Y}–{end:%m/%Y}"

    def clean(self):
        # "Exactly one subject" and "the period is ordered" are check constraints, validated
        # with their messages by full_clean (and skipped for an inline's not-yet-saved parent).
        if self.initiative_id and self.territory_id:
            raise ValidationError(_("An observation is about one initiative or one territory."))
        if self.indicator_id and (self.initiative_id or self.territory_id):
            expected = self.indicator.subject
            actual = (
                Indicator.Subject.INITIATIVE if self.initiative_id else Indicator.Subject.TERRITORY
            )
            if expected != actual:
                raise ValidationError(
                    _("The indicator “%(indicator)s” is measured on %(subject)s."),
                    params={
                        "indicator": self.indicator.name,
                        "subject": self.indicator.get_subject_display(),
                    },
                )
        if self.indicator_id and self.indicator.scale_id and self.value is not None:
            lowest, highest = self.indicator.scale.bounds()
            if not lowest <= self.value <= highest:
                raise ValidationError(
                    {
                        "value": _(
                            "On the scale %(scale)s, a value lies between %(lowest)s and "
                            "%(highest)s."
                        )
                        % {"scale": self.indicator.scale, "lowest": lowest, "highest": highest}
                    }
                )
