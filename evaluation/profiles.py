"""Profiles people read at a glance: an initiative's radars, comparisons, averages, series.

Every function here runs a fixed number of queries whatever the number of assessments,
dimensions or observations, and takes its dimension scores from
AssessmentQuerySet.dimension_scores (the one definition of a dimension score).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from initiatives import freshness

from .charts import radar_chart, series_chart
from .models import Assessment, Dimension, Observation, ScaleLevel


@dataclass
class Axis:
    code: str
    name: str


@dataclass
class GridGroup:
    """Assessments made with the versions of one grid, on the union of their dimensions."""

    framework: object  # the newest version among the group's assessments
    axes: list
    levels: list  # the [(value, label)] of its scale
    assessments: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # assessment pk → [score or None per axis]


def score_table(assessments):
    """{(assessment pk, dimension pk): score} in one query (none without assessments)."""
    if not assessments:
        return {}
    rows = Assessment.objects.filter(pk__in=[a.pk for a in assessments]).dimension_scores()
    return {(row["assessment"], row["dimension"]): row["score"] for row in rows}


@dataclass
class GridParts:
    """What a radar needs of the grids besides the scores, by framework pk."""

    levels: dict  # [(value, label)] of the grid's scale
    dimensions: dict  # [(dimension pk, code, name)], in the grid's order


def grid_parts():
    """The GridParts of every grid and version, from the cache while the directory has not
    changed (a write to a grid bumps its version): the same for every page with a radar, so
    that a page reads only its own assessments and scores. Two queries when not cached."""

    def read():
        levels, dimensions = defaultdict(list), defaultdict(list)
        for framework, value, label in ScaleLevel.objects.filter(
            scale__frameworks__isnull=False
        ).values_list("scale__frameworks", "value", "label"):
            levels[framework].append((value, label))
        for row in Dimension.objects.values_list("framework", "pk", "code", "name"):
            dimensions[row[0]].append(row[1:])
        return GridParts(levels=dict(levels), dimensions=dict(dimensions))

    return freshness.cached("grid-parts", read)


def latest_assessments(initiatives):
    """The latest public assessment of these initiatives with each grid, with its grid:
    one query."""
    return list(
        Assessment.objects.latest_published()
        .filter(initiative__in=initiatives)
        .for_profiles()
        .order_by("framework__name", "initiative__name")
    )


def group_by_grid(assessments):
    """Group assessments by grid (slug), the axes being the dimensions of the versions used.

    Versions usually share their dimensions; if a revision added or renamed one, the axes
    are the union, named after the newest version, and the missing scores are None.
    """
    scores = score_table(assessments)
    parts = grid_parts() if assessments else GridParts(levels={}, dimensions={})
    by_slug = defaultdict(list)
    for assessment in assessments:
        by_slug[assessment.framework.slug].append(assessment)
    groups = []
    for group_assessments in by_slug.values():
        frameworks = sorted(
            {a.framework.pk: a.framework for a in group_assessments}.values(),
            key=lambda framework: framework.created_at,
            reverse=True,
        )
        axes = {}
        for framework in frameworks:
            for _pk, code, name in parts.dimensions.get(framework.pk, []):
                axes.setdefault(code, Axis(code, name))
        group = GridGroup(
            framework=frameworks[0],
            axes=list(axes.values()),
            levels=parts.levels.get(frameworks[0].pk, []),
        )
        for assessment in group_assessments:
            by_code = {
                code: scores.get((assessment.pk, pk))
                for pk, code, _name in parts.dimensions.get(assessment.framework.pk, [])
            }
            group.assessments.append(assessment)
            group.values[assessment.pk] = [by_code.get(axis.code) for axis in group.axes]
        groups.append(group)
    return groups


@dataclass
class Profile:
    assessment: Assessment
    framework: object
    rows: list  # [(Axis, score or None)]
    chart: object


def initiative_profiles(initiative):
    """The radar of the latest public assessment with each grid: four queries at most."""
    profiles = []
    for group in group_by_grid(latest_assessments([initiative.pk])):
        assessment = group.assessments[0]
        values = group.values[assessment.pk]
        chart = radar_chart(
            f"radar-{assessment.pk}",
            _("%(grid)s: profile of %(initiative)s")
            % {"grid": assessment.framework.name, "initiative": initiative.name},
            [(axis.code, axis.name) for axis in group.axes],
            [(initiative.name, values)],
            group.levels,
        )
        profiles.append(
            Profile(
                assessment=assessment,
                framework=assessment.framework,
                rows=list(zip(group.axes, values, strict=True)),
                chart=chart,
            )
        )
    return profiles


# More profiles than this on one radar hide each other: each gets its own small radar.
OVERLAID_PROFILES = 2


@dataclass
class Comparison:
    framework: object
    columns: list  # [(initiative, assessment or None)], in the order asked for
    rows: list  # [(Axis, [(score or None, assessed?) per initiative])]
    chart: object  # the profiles overlaid, when there are at most OVERLAID_PROFILES
    small_multiples: list  # else [(initiative, its own radar)], all on the same scale

    @property
    def charts(self):
        if self.chart:
            return [self.chart]
        return [chart for _initiative, chart in self.small_multiples]


def compare(initiatives):
    """Side-by-side profiles of a few initiatives, per grid: one overlaid radar, or small
    multiples when more than OVERLAID_PROFILES are assessed with the grid. 4 queries."""
    comparisons = []
    for group in group_by_grid(latest_assessments([i.pk for i in initiatives])):
        by_initiative = {a.initiative_id: a for a in group.assessments}
        columns = [(initiative, by_initiative.get(initiative.pk)) for initiative in initiatives]
        values = [
            group.values[assessment.pk] if assessment else [None] * len(group.axes)
            for _initiative, assessment in columns
        ]
        axes = [(axis.code, axis.name) for axis in group.axes]
        levels = group.levels
        # The style number is the column's: an initiative keeps its colour in every grid.
        assessed = [
            (number, initiative, column_values)
            for number, ((initiative, assessment), column_values) in enumerate(
                zip(columns, values, strict=True)
            )
            if assessment
        ]
        chart, small_multiples = None, []
        if len(assessed) <= OVERLAID_PROFILES:
            chart = radar_chart(
                f"compare-{group.framework.slug}",
                _("%(grid)s: profiles compared") % {"grid": group.framework.name},
                axes,
                [(initiative.name, scores, number) for number, initiative, scores in assessed],
                levels,
            )
        else:
            small_multiples = [
                (
                    initiative,
                    radar_chart(
                        f"compare-{group.framework.slug}-{number}",
                        _("%(grid)s: profile of %(initiative)s")
                        % {"grid": group.framework.name, "initiative": initiative.name},
                        axes,
                        [(initiative.name, scores, number)],
                        levels,
                    ),
                )
                for number, initiative, scores in assessed
            ]
        comparisons.append(
            Comparison(
                framework=group.framework,
                columns=columns,
                rows=[
                    (
                        axis,
                        [
                            (column[index], assessment is not None)
                            for column, (_initiative, assessment) in zip(
                                values, columns, strict=True
                            )
                        ],
                    )
                    for index, axis in enumerate(group.axes)
                ],
                chart=chart,
                small_multiples=small_multiples,
            )
        )
    return comparisons


@dataclass
class AverageProfile:
    framework: object
    assessed: int
    rows: list  # [(Axis, mean score or None)]
    chart: object


def average_profiles(initiatives, chart_prefix="average"):
    """Per grid, the mean of each dimension score over the initiatives assessed with it.

    initiatives: a queryset (used as a subquery). Four queries at most.
    """
    profiles = []
    assessments = latest_assessments(initiatives.values("pk"))
    for group in group_by_grid(assessments):
        means = []
        for index in range(len(group.axes)):
            scores = [
                values[index] for values in group.values.values() if values[index] is not None
            ]
            means.append(fmean(scores) if scores else None)
        assessed = len({a.initiative_id for a in group.assessments})
        chart = radar_chart(
            f"{chart_prefix}-{group.framework.slug}",
            ngettext(
                "%(grid)s: average profile of %(count)s assessed initiative",
                "%(grid)s: average profile of %(count)s assessed initiatives",
                assessed,
            )
            % {"grid": group.framework.name, "count": assessed},
            [(axis.code, axis.name) for axis in group.axes],
            [(_("Average"), means)],
            group.levels,
        )
        profiles.append(
            AverageProfile(
                framework=group.framework,
                assessed=assessed,
                rows=list(zip(group.axes, means, strict=True)),
                chart=chart,
            )
        )
    return profiles, len({a.initiative_id for a in assessments})


@dataclass
class IndicatorSeries:
    indicator: object
    observations: list
    chart: object

    @property
    def common_source(self):
        """The source of every value when they share one (then said once, not on each row)."""
        sources = {observation.source for observation in self.observations}
        return sources.pop() if len(sources) == 1 else None

    @property
    def has_notes(self):
        return any(observation.note for observation in self.observations)


def indicator_series(observations, chart_prefix):
    """One chart per indicator from observations (with select_related("indicator"))."""
    by_indicator = defaultdict(list)
    for observation in observations:
        by_indicator[observation.indicator].append(observation)
    series = []
    for indicator, rows in sorted(by_indicator.items(), key=lambda item: item[0].name):
        rows.sort(key=lambda row: (row.period_start, row.period_end))
        chart = series_chart(
            f"{chart_prefix}-{indicator.slug}",
            indicator.name,
            indicator.unit,
            [row.short_period_label for row in rows],
            [row.value for row in rows],
        )
        series.append(IndicatorSeries(indicator=indicator, observations=rows, chart=chart))
    return series


def initiative_series(initiative):
    """The initiative's indicator series: one query."""
    observations = Observation.objects.filter(initiative=initiative).select_related("indicator")
    return indicator_series(observations, f"indicator-{initiative.slug}")


def territory_series(territory):
    """The territory's own indicator series (e.g. SPIRAL well-being): one query."""
    observations = Observation.objects.filter(territory=territory).select_related("indicator")
    return indicator_series(observations, f"indicator-{territory.slug}")
