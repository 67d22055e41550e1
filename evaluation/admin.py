from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_site import SafeAutocompleteSelect, SiteAdminMixin
from initiatives.curators import CURATORS_GROUP
from initiatives.forms import InlineRowForm
from initiatives.history import GuardedEditAdmin, record_bulk_action
from initiatives.models import Initiative, curated_paths
from initiatives.scoping import TerritoryScopedAdmin

from .forms import (
    AssessmentStartForm,
    ObservationForm,
    ObservationImportForm,
    assessment_form_for,
    criterion_fields,
)
from .importers import import_observations
from .models import (
    Assessment,
    Criterion,
    Dimension,
    Framework,
    Indicator,
    Observation,
    Scale,
    ScaleLevel,
)


class ScaleLevelInline(admin.TabularInline):
    model = ScaleLevel
    extra = 0

    def has_change_permission(self, request, obj=None):
        # A level already given to a criterion keeps its meaning: past assessments use it.
        return super().has_change_permission(request, obj) and not self.is_in_use(obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self.is_in_use(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_in_use(obj)

    @staticmethod
    def is_in_use(scale):
        return scale is not None and Assessment.objects.filter(framework__scale=scale).exists()


@admin.register(Scale)
class ScaleAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ScaleLevelInline]


class FrozenFrameworkInlineMixin:
    """Dimensions and criteria of a grid version used by an assessment are read-only."""

    def framework_of(self, obj):
        return obj

    def is_frozen(self, obj):
        framework = self.framework_of(obj)
        return framework is not None and framework.is_frozen

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self.is_frozen(obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not self.is_frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self.is_frozen(obj)


class DimensionInline(FrozenFrameworkInlineMixin, admin.TabularInline):
    model = Dimension
    fields = ["position", "code", "name", "description", "criteria_link"]
    readonly_fields = ["criteria_link"]
    extra = 0

    @admin.display(description=_("criteria"))
    def criteria_link(self, dimension):
        if not dimension.pk:
            return "—"
        url = reverse("admin:evaluation_dimension_change", args=[dimension.pk])
        return format_html('<a href="{}">{}</a>', url, _("Edit the criteria"))


@admin.register(Framework)
class FrameworkAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["name", "version", "is_current", "kind", "scale", "assessment_count"]
    list_filter = ["is_current", "kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DimensionInline]
    actions = ["revise"]
    fields = [
        "name",
        "slug",
        "version",
        "is_current",
        "kind",
        "scale",
        "description",
        "source",
        "licence_note",
        "revised_from",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(assessment_count=Count("assessments"))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_frozen:
            # What an assessment's page shows of its grid stays as the assessor saw it.
            return ["name", "slug", "version", "kind", "scale", "revised_from"]
        return ["revised_from"]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_frozen else self.prepopulated_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        framework = self.get_object(request, object_id)
        if framework is not None and framework.is_frozen and request.method == "GET":
            self.message_user(
                request,
                _(
                    "Assessments use this version, so its dimensions and criteria are frozen. "
                    "To change them, select it in the list and revise it: a new version is "
                    "created and past assessments keep theirs."
                ),
                messages.INFO,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("assessments"), ordering="assessment_count")
    def assessment_count(self, framework):
        return framework.assessment_count

    @admin.action(
        description=_("Revise the selected grids (copy into a new current version)"),
        permissions=["add"],
    )
    def revise(self, request, queryset):
        for framework in queryset:
            try:
                new = framework.revise()
            except ValueError:
                self.message_user(
                    request,
                    _("Cannot number the version after %(version)s: revise it by hand.")
                    % {"version": framework.version},
                    messages.ERROR,
                )
                continue
            url = reverse("admin:evaluation_framework_change", args=[new.pk])
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("Version %(version)s created.") % {"version": new.version},
                    url,
                    new,
                ),
                messages.SUCCESS,
            )


class CriterionInline(FrozenFrameworkInlineMixin, admin.StackedInline):
    model = Criterion
    fields = [("position", "code", "core"), "label", "guidance"]
    extra = 0

    def framework_of(self, dimension):
        return dimension.framework if dimension is not None else None


@admin.register(Dimension)
class DimensionAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "framework", "position"]
    list_filter = ["framework"]
    list_select_related = ["framework"]
    search_fields = ["code", "name", "framework__name"]
    inlines = [CriterionInline]
    fields = ["framework", "position", "code", "name", "description"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.framework.is_frozen:
            return self.fields
        return []


@admin.register(Assessment)
class AssessmentAdmin(TerritoryScopedAdmin, GuardedEditAdmin):
    """Two steps: choose an initiative and a grid, then score every criterion of that grid."""

    list_display = ["initiative", "framework", "date", "method", "status"]
    list_filter = ["status", "method", "framework"]
    list_select_related = ["initiative", "framework"]
    search_fields = ["initiative__name", "summary"]
    date_hierarchy = "date"
    autocomplete_fields = ["initiative"]
    readonly_fields = ["framework"]
    actions = ["publish", "unpublish"]
    save_on_top = True

    def framework_for(self, request, obj=None):
        """The grid version being scored: the assessment's, or ?framework= when adding."""
        if obj is not None:
            return obj.framework
        if not hasattr(request, "_assessment_framework"):
            pk = request.GET.get("framework", "")
            request._assessment_framework = (
                Framework.objects.select_related("scale").filter(pk=pk).first()
                if pk.isdigit()
                else None
            )
        return request._assessment_framework

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "initiative",
                        "framework",
                        "status",
                        "date",
                        "method",
                        "participants",
                        "assessor",
                        "summary",
                    ]
                },
            )
        ]
        form = self.form_class_for(request, obj)
        dimensions = {}
        for criterion in form.criteria:
            dimensions.setdefault(criterion.dimension, []).append(criterion)
        for dimension, criteria in dimensions.items():
            rows = []
            for criterion in criteria:
                names = criterion_fields(criterion.pk)
                rows.append((names["level"], names["evidence"], names["link"]))
            # The admin marks fieldset descriptions safe: escape the curators' text.
            description = conditional_escape(dimension.description)
            fieldsets.append(
                (
                    f"{dimension.code} — {dimension.name}",
                    {"fields": rows, "description": description},
                )
            )
        return fieldsets

    def form_class_for(self, request, obj=None):
        framework = self.framework_for(request, obj)
        cache = request.__dict__.setdefault("_assessment_forms", {})
        if framework.pk not in cache:
            cache[framework.pk] = assessment_form_for(framework)
        return cache[framework.pk]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = self.form_class_for(request, obj)
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assessor":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_staff=True, is_active=True)
                .filter(Q(groups__name=CURATORS_GROUP) | Q(is_superuser=True))
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("assessor", request.user.pk)
        # The autocomplete widget cannot render an initiative that does not exist.
        initiative = str(initial.get("initiative", ""))
        if not (initiative.isdigit() and Initiative.objects.filter(pk=initiative).exists()):
            initial.pop("initiative", None)
        return initial

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if self.framework_for(request) is None:
            return self.start_view(request)
        return super().add_view(request, form_url, extra_context)

    def start_view(self, request):
        """Step one: pick the initiative and the grid (a GET form back to the add page)."""
        data = request.GET.copy() if "framework" in request.GET else None
        if data is not None and not data.get("initiative", "").isdigit():
            # The autocomplete widget cannot render a value that is not an id: ask again.
            data.pop("initiative", None)
        form = AssessmentStartForm(data)
        initiative = form.fields["initiative"]
        initiative.widget = SafeAutocompleteSelect(
            Assessment._meta.get_field("initiative"), self.admin_site
        )
        initiative.widget.choices = initiative.choices
        # Submitted with a valid grid, this form leads to add_view's second step: bound
        # here, it only shows why the grid given is not valid.
        form.is_valid()
        context = {
            **self.admin_site.each_context(request),
            "title": _("New assessment: choose the initiative and the grid"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/evaluation/assessment/start.html", context)

    def save_model(self, request, obj, form, change):
        if obj.assessor_id is None:
            obj.assessor = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # The scores first: the history records the assessment with them (HistoryAdmin).
        form.save_scores()
        super().save_related(request, form, formsets, change)

    @admin.action(description=_("Publish the selected assessments"), permissions=["change"])
    def publish(self, request, queryset):
        record_bulk_action(request, _("Published by a bulk action."))
        incomplete = [str(a) for a in queryset.exclude(pk__in=queryset.complete().values("pk"))]
        published = queryset.publish()
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d assessment published.", "%(count)d assessments published.", published
                )
                % {"count": published},
                messages.SUCCESS,
            )
        if incomplete:
            self.message_user(
                request,
                _("Not published, some criteria are not scored yet: %(assessments)s.")
                % {"assessments": "; ".join(incomplete)},
                messages.WARNING,
            )

    @admin.action(
        description=_("Unpublish the selected assessments (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        record_bulk_action(request, _("Unpublished by a bulk action."))
        count = queryset.unpublish()
        self.message_user(
            request,
            ngettext(
                "%(count)d assessment unpublished.", "%(count)d assessments unpublished.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Indicator)
class IndicatorAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["name", "unit", "subject", "theme", "scale", "higher_is_better"]
    list_filter = ["subject", "theme"]
    list_select_related = ["theme", "scale"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["theme"]


class ObservationInlineForm(InlineRowForm, ObservationForm):
    pass


class ObservationInline(admin.TabularInline):
    model = Observation
    form = ObservationInlineForm
    fk_name = "initiative"
    fields = ["indicator", "year", "period_start", "period_end", "value", "source", "note"]
    extra = 1

    def get_queryset(self, request):
        # Each row's title (str) names its indicator and initiative.
        return super().get_queryset(request).select_related("indicator", "initiative")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name != "indicator":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = Indicator.objects.filter(subject=Indicator.Subject.INITIATIVE)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # Evaluated once here (one query), the choices are copied into each row instead of
        # queried per row.
        field.choices = [("", field.empty_label), *((i.pk, str(i)) for i in kwargs["queryset"])]
        return field


@admin.register(Observation)
class ObservationAdmin(TerritoryScopedAdmin, SiteAdminMixin, admin.ModelAdmin):
    form = ObservationForm
    list_display = ["indicator", "initiative", "territory", "period_start", "period_end", "value"]
    list_filter = ["indicator"]
    list_select_related = ["indicator", "initiative", "territory"]
    search_fields = ["indicator__name", "initiative__name", "territory__name", "source"]
    autocomplete_fields = ["initiative", "territory"]
    fields = [
        "indicator",
        "initiative",
        "territory",
        "year",
        "period_start",
        "period_end",
        "value",
        "source",
        "note",
    ]
    change_list_template = "admin/evaluation/observation/change_list.html"

    def scoped(self, queryset, user):
        # An observation belongs to an initiative or to a territory.
        paths = curated_paths(user)
        if paths is None:
            return queryset
        in_territories = Q()
        for territory_path in paths:
            in_territories |= Q(territory__path__startswith=territory_path)
        curated = Initiative.objects.curated_by(user).values("pk")
        return queryset.filter(Q(initiative__in=curated) | in_territories)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="evaluation_observation_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV of observations; a dry run reports without saving."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ObservationImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = import_observations(
                upload.read(),
                dry_run=form.cleaned_data["dry_run"],
                file_name=upload.name,
                user=request.user,
            )
            if result.ok and not result.dry_run:
                self.message_user(
                    request,
                    _("%(created)d observation(s) created, %(updated)d updated.")
                    % {"created": result.created, "updated": result.updated},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:evaluation_observation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import observations from a CSV file"),
            "opts": self.opts,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/evaluation/observation/import.html", context)
