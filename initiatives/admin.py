import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, OuterRef
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from actors.models import Currency, Involvement
from config.admin_site import SiteAdminMixin
from evaluation.admin import ObservationInline

from .contributions import https_urls, send_correction_rejection_email, send_rejection_email
from .forms import InlineRowForm
from .history import GuardedEditAdmin, HistoryAdmin, record_bulk_action
from .models import (
    Correction,
    Initiative,
    InitiativeContact,
    LegalNotice,
    Proposal,
    SourceIdentifier,
    TerritorialCurator,
    Territory,
    Theme,
    curated_paths,
    in_paths,
)
from .scoping import TerritoryScopedAdmin
from .widgets import LocationPickerWidget


@admin.register(Territory)
class TerritoryAdmin(HistoryAdmin):
    list_display = ["name", "kind", "code", "parent", "children_link"]
    list_filter = ["kind", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "code", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["path"]
    fields = ["name", "kind", "code", "country", "parent", "slug", "latitude", "longitude", "path"]
    # 35,000 communes: counting the whole table on every filtered page is wasted work.
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # The autocomplete of the commune and parent fields: the beginning of a name as people
        # type it ("st denis"), or of a code, on an index.
        if request.resolver_match.url_name == "autocomplete" and search_term.strip():
            return queryset.named_like(search_term).order_by("name", "code"), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request):
        # A correlated subquery, computed for the displayed page only (a JOIN + GROUP BY
        # would aggregate all 35,000 communes for every page and autocomplete call).
        children = (
            Territory.objects.filter(parent=OuterRef("pk"))
            .order_by()
            .values("parent")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).annotate(children_count=Coalesce(children, 0))

    @admin.display(description=_("sub-territories"), ordering="children_count")
    def children_link(self, territory):
        if not territory.children_count:
            return "—"
        url = (
            reverse("admin:initiatives_territory_changelist") + f"?parent__id__exact={territory.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, territory.children_count)


@admin.register(Theme)
class ThemeAdmin(HistoryAdmin):
    list_display = ["name", "parent", "color", "position"]
    list_editable = ["position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "parent__name"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


class RegionListFilter(admin.SimpleListFilter):
    title = _("région")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        regions = Territory.objects.filter(
            kind__in=[
                Territory.Kind.REGION,
                Territory.Kind.ADMINISTRATIVE_REGION,
                Territory.Kind.STATE,
            ]
        ).order_by("name")
        return [(region.slug, region.name) for region in regions]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # Only a listed slug reaches the database (PostgreSQL refuses NUL bytes in strings).
        if self.value() not in dict(self.lookup_choices):
            return queryset.none()
        return queryset.located_in(Territory.objects.get(slug=self.value()))


class TopLevelThemeListFilter(admin.SimpleListFilter):
    title = _("theme")
    parameter_name = "theme"

    def lookups(self, request, model_admin):
        return [(theme.slug, theme.name) for theme in Theme.objects.filter(parent__isnull=True)]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in dict(self.lookup_choices):
            return queryset.none()
        themed = Initiative.objects.filter(themes__in=Theme.objects.family_of(self.value()))
        return queryset.filter(pk__in=themed.values("pk"))


class StaleListFilter(admin.SimpleListFilter):
    title = _("to review")
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [
            (
                "yes",
                _("Not updated for %(days)d days") % {"days": settings.STALE_AFTER_DAYS},
            )
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.stale()
        return queryset


class InvolvementInline(SiteAdminMixin, admin.TabularInline):
    model = Involvement
    form = InlineRowForm
    autocomplete_fields = ["actor"]
    fields = ["actor", "role", "taker_kind", "start_year", "end_year", "amount", "currency", "note"]
    # "15 000,00" in French, as curators write amounts.
    formfield_overrides = {models.DecimalField: {"localize": True}}
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # New rows start in the initiative's money: Canadian dollars for one in Québec.
        if obj is not None and obj.commune_id:
            currency = Currency.of_country(obj.commune.country)
            formset.form.base_fields["currency"].initial = currency
        return formset


class InitiativeContactInline(admin.StackedInline):
    model = InitiativeContact
    form = InlineRowForm
    verbose_name_plural = _("Private contact (never shown publicly)")
    fields = ["name", "email", "phone"]
    can_delete = False
    classes = ["collapse"]


class SourceIdentifierInline(admin.TabularInline):
    model = SourceIdentifier
    form = InlineRowForm
    fields = ["source", "identifier"]
    extra = 0
    classes = ["collapse"]


class InitiativeAdminForm(forms.ModelForm):
    # A territorial curator's territories (curated_paths), set by InitiativeAdmin.get_form.
    curated_paths = None

    class Meta:
        model = Initiative
        fields = ["latitude", "longitude"]  # ModelAdmin replaces these with its fieldsets.
        widgets = {"longitude": LocationPickerWidget()}

    def clean(self):
        data = super().clean()
        paths = self.curated_paths
        if paths and "commune" in data and "action_territories" in data:
            places = [data["commune"], *data["action_territories"]]
            if not any(in_paths(place, paths) for place in places):
                raise forms.ValidationError(
                    _(
                        "Place this initiative in one of your territories, by its commune or "
                        "its territories of action: otherwise you could no longer curate it."
                    )
                )
        return data


@admin.register(Initiative)
class InitiativeAdmin(TerritoryScopedAdmin, GuardedEditAdmin):
    initiative_lookup = "pk"
    form = InitiativeAdminForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Saved all the same: the curator may know better (a seat far from the activity).
        if obj.point_outside_departement():
            messages.warning(
                request,
                _(
                    "The point is outside %(departement)s, where %(commune)s is "
                    "(%(distance)s km from its centre): check it."
                )
                % {
                    "departement": obj.commune.parent.name,
                    "commune": obj.commune.name,
                    "distance": round(obj.kilometres_from_commune()),
                },
            )
        elif obj.point_far_from_commune():
            messages.warning(
                request,
                _(
                    "The point is %(distance)s km from the centre of %(commune)s: check it, it "
                    "may be in another département."
                )
                % {"distance": round(obj.kilometres_from_commune()), "commune": obj.commune.name},
            )

    # A website typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "status", "stage", "commune", "year_started", "updated_at"]
    list_filter = [
        "status",
        StaleListFilter,
        "stage",
        TopLevelThemeListFilter,
        RegionListFilter,
        "legal_form",
    ]
    list_select_related = ["commune"]
    search_fields = [
        "name",
        "summary",
        "address",
        "commune__name",
        "action_territories__name",
        "source_identifiers__identifier",
    ]
    autocomplete_fields = ["commune", "action_territories", "themes", "replicated_from"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["published_at", "created_at", "updated_at"]
    date_hierarchy = "updated_at"
    inlines = [
        InvolvementInline,
        InitiativeContactInline,
        SourceIdentifierInline,
        ObservationInline,
    ]
    actions = ["publish", "unpublish", "archive"]
    save_on_top = True

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.curated_paths = curated_paths(request.user)
        return form

    fieldsets = [
        (None, {"fields": ["name", "slug", "status", "summary", "description"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "themes",
                    "stage",
                    "legal_form",
                    "year_started",
                    "website",
                    "replicated_from",
                ]
            },
        ),
        (_("Photo or logo"), {"fields": ["image", "image_alt"]}),
        (
            _("Place"),
            {"fields": ["address", "commune", "latitude", "longitude", "action_territories"]},
        ),
        (
            _("Documented for reuse"),
            {
                "fields": ["how_it_works", "obstacles", "enablers", "lessons"],
                "classes": ["collapse"],
            },
        ),
        (_("History"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "commune":
            field.label_from_instance = Territory.autocomplete_label
        return field

    def get_search_results(self, request, queryset, search_term):
        # A reference as the imports write it, `source:identifier`, finds its initiative.
        if ":" in search_term:
            found = Initiative.objects.by_reference({search_term.strip()})
            if found:
                return queryset.filter(pk__in=[i.pk for i in found.values()]), False
        return super().get_search_results(request, queryset, search_term)

    def get_inline_instances(self, request, obj=None):
        # Figures come once the initiative exists: the add page is the directory's own.
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if obj is not None or not isinstance(inline, ObservationInline)
        ]

    @admin.action(description=_("Publish the selected initiatives"), permissions=["change"])
    def publish(self, request, queryset):
        record_bulk_action(request, _("Published by a bulk action."))
        count = queryset.publish()
        message = ngettext(
            "%(count)d initiative published.", "%(count)d initiatives published.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(
        description=_("Unpublish the selected initiatives (back to draft)"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        record_bulk_action(request, _("Unpublished by a bulk action."))
        count = queryset.unpublish()
        message = ngettext(
            "%(count)d initiative unpublished.", "%(count)d initiatives unpublished.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Archive the selected initiatives"), permissions=["change"])
    def archive(self, request, queryset):
        record_bulk_action(request, _("Archived by a bulk action."))
        count = queryset.archive()
        message = ngettext(
            "%(count)d initiative archived.", "%(count)d initiatives archived.", count
        )
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


# The import pages register themselves (initiatives/imports/admin.py).
from .imports import admin as imports_admin  # noqa: E402, F401


class ModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[("publish", ""), ("reject", ""), ("merge", "")])
    reason = forms.CharField(required=False, max_length=2000)
    target = forms.IntegerField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why: the contributor gets the reason by e-mail."))
        if data.get("action") == "merge" and not data.get("target"):
            self.add_error("target", _("Choose the initiative to merge into."))
        return data


@admin.register(Proposal)
class ProposalAdmin(TerritoryScopedAdmin, SiteAdminMixin, admin.ModelAdmin):
    """The moderation queue: proposals from the public, oldest first. A proposal's page shows
    the proposed initiative, its possible duplicates, and the three decisions: publish, merge
    into an existing initiative, reject with a reason (e-mailed to the contributor). The
    initiative itself is edited on its own page before publishing, if need be."""

    list_display = ["initiative", "commune", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["initiative__commune"]
    search_fields = ["initiative__name"]
    ordering = ["created_at"]
    change_form_template = "admin/initiatives/proposal/change_form.html"
    fields = ["initiative_link", "status", "contributor_name", "contributor_email", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("commune"))
    def commune(self, proposal):
        return proposal.initiative.commune or "—"

    @admin.display(description=_("initiative"))
    def initiative_link(self, proposal):
        url = reverse("admin:initiatives_initiative_change", args=[proposal.initiative_id])
        return format_html('<a href="{}">{}</a>', url, proposal.initiative)

    def has_add_permission(self, request):
        return False

    def get_changelist_instance(self, request):
        # The queue first: a curator who opens the list sees what waits.
        if "status__exact" not in request.GET and not request.GET.get("q"):
            request.GET = request.GET.copy()
            request.GET["status__exact"] = Proposal.Status.PENDING
        return super().get_changelist_instance(request)

    def get_urls(self):
        moderate = self.admin_site.admin_view(self.moderate_view)
        return [
            path("<path:object_id>/moderate/", moderate, name="initiatives_proposal_moderate"),
            *super().get_urls(),
        ]

    def can_moderate(self, request, proposal):
        return (
            proposal.is_pending
            and self.has_change_permission(request, proposal)
            and request.user.has_perm("initiatives.change_initiative")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, object_id)
        if proposal is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        initiative = proposal.initiative
        candidates = Initiative.objects.curated_by(request.user).exclude(
            status__in=[Initiative.Status.ARCHIVED, Initiative.Status.SUBMITTED]
        )
        context = {
            **(extra_context or {}),
            "proposal": proposal,
            "can_moderate": self.can_moderate(request, proposal),
            "duplicates": candidates.possible_duplicates_of(initiative),
            "involvements": initiative.involvements.select_related("actor"),
            # Nothing to save on this page: the decisions have their own buttons.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def moderate_view(self, request, object_id):
        proposal = self.get_object(request, object_id)
        if request.method != "POST" or proposal is None:
            return redirect("admin:initiatives_proposal_changelist")
        if not self.can_moderate(request, proposal):
            raise PermissionDenied
        decision = ModerationForm(request.POST)
        if not decision.is_valid():
            for errors in decision.errors.values():
                self.message_user(request, " ".join(errors), messages.ERROR)
            return redirect("admin:initiatives_proposal_change", proposal.pk)
        return self.moderate(request, proposal, decision.cleaned_data)

    def moderate(self, request, proposal, decision):
        action = decision["action"]
        with transaction.atomic(), reversion.create_revision():
            reversion.set_user(request.user)
            if action == "publish":
                reversion.set_comment(_("Proposal published."))
                proposal.publish()
                self.message_user(request, _("Published."), messages.SUCCESS)
            elif action == "reject":
                reversion.set_comment(_("Proposal rejected: %(reason)s") % decision)
                proposal.reject(decision["reason"].strip())
                status_url = request.build_absolute_uri(proposal.get_absolute_url())
                transaction.on_commit(lambda: send_rejection_email(proposal, status_url))
                self.message_user(request, _("Rejected; the contributor is told why."))
            else:
                target = (
                    Initiative.objects.curated_by(request.user)
                    .filter(pk=decision["target"])
                    .first()
                )
                if target is None or target.pk == proposal.initiative_id:
                    self.message_user(request, _("No such initiative."), messages.ERROR)
                    return redirect(request.path)
                reversion.set_comment(_("Proposal merged into “%(name)s”.") % {"name": target})
                proposal.merge_into(target)
                self.message_user(request, _("Merged."), messages.SUCCESS)
            self.log_change(request, proposal, [{"changed": {"fields": ["status"]}}])
        return redirect("admin:initiatives_proposal_changelist")


@admin.register(Correction)
class CorrectionAdmin(TerritoryScopedAdmin, SiteAdminMixin, admin.ModelAdmin):
    """Corrections suggested by the public, oldest first. A correction's page compares, field
    by field, what the visitor saw, what the initiative holds now and what they suggest; the
    curator edits the suggested values if need be, then accepts (one new version in the
    history) or rejects with a reason (e-mailed when the contributor left an address). Two
    corrections waiting for the same initiative are both listed; after one is accepted, the
    other says which fields changed since it was written."""

    list_display = ["initiative", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["initiative"]
    search_fields = ["initiative__name"]
    ordering = ["created_at"]
    change_form_template = "admin/initiatives/correction/change_form.html"
    fields = ["initiative_link", "status", "comment", "contributor_name", "contributor_email"]
    readonly_fields = fields

    initiative_link = ProposalAdmin.initiative_link

    def has_add_permission(self, request):
        return False

    def get_changelist_instance(self, request):
        if "status__exact" not in request.GET and not request.GET.get("q"):
            request.GET = request.GET.copy()
            request.GET["status__exact"] = Correction.Status.PENDING
        return super().get_changelist_instance(request)

    def get_urls(self):
        moderate = self.admin_site.admin_view(self.moderate_view)
        return [
            path("<path:object_id>/moderate/", moderate, name="initiatives_correction_moderate"),
            *super().get_urls(),
        ]

    def can_moderate(self, request, correction):
        return (
            correction.is_pending
            and self.has_change_permission(request, correction)
            and request.user.has_perm("initiatives.change_initiative")
        )

    # Taken as suggested: the table shows them by name, the initiative's page edits them.
    NOT_EDITED = ("commune", "themes")

    def edit_form(self, correction, data=None):
        """The suggested values, as a form of the initiative's fields the curator may edit."""
        edited = [name for name in correction.changes if name not in self.NOT_EDITED]
        form_class = forms.modelform_factory(
            Initiative, fields=edited, formfield_callback=https_urls
        )
        copy = Initiative.objects.get(pk=correction.initiative_id)
        return form_class(data, instance=copy, initial=correction.changes, prefix="accept")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        correction = self.get_object(request, object_id)
        if correction is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        others = correction.initiative.corrections.filter(status=Correction.Status.PENDING)
        context = {
            **(extra_context or {}),
            "correction": correction,
            "rows": correction.rows(),
            "can_moderate": self.can_moderate(request, correction),
            "edit_form": self.edit_form(correction),
            "other_corrections": others.exclude(pk=correction.pk),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, context)

    def moderate_view(self, request, object_id):
        correction = self.get_object(request, object_id)
        if request.method != "POST" or correction is None:
            return redirect("admin:initiatives_correction_changelist")
        if not self.can_moderate(request, correction):
            raise PermissionDenied
        if request.POST.get("action") == "reject":
            reason = request.POST.get("reason", "").strip()[:2000]
            if not reason:
                self.message_user(
                    request,
                    _("Say why: the contributor gets the reason by e-mail."),
                    messages.ERROR,
                )
                return redirect("admin:initiatives_correction_change", correction.pk)
            correction.reject(reason)
            transaction.on_commit(lambda: send_correction_rejection_email(correction))
            self.log_change(request, correction, [{"changed": {"fields": ["status"]}}])
            self.message_user(request, _("Rejected."))
            return redirect("admin:initiatives_correction_changelist")
        form = self.edit_form(correction, request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                self.message_user(request, f"{name}: {' '.join(errors)}", messages.ERROR)
            return redirect("admin:initiatives_correction_change", correction.pk)
        with transaction.atomic(), reversion.create_revision():
            reversion.set_user(request.user)
            reversion.set_comment(
                _("Correction suggested by %(name)s, accepted.")
                % {"name": correction.contributor_name or _("a visitor")}
            )
            correction.accept(
                {
                    name: value if name in self.NOT_EDITED else form.cleaned_data[name]
                    for name, value in correction.changes.items()
                }
            )
            reversion.add_to_revision(correction.initiative)
            self.log_change(request, correction, [{"changed": {"fields": ["status"]}}])
        self.message_user(request, _("Accepted: the initiative is changed."), messages.SUCCESS)
        return redirect("admin:initiatives_correction_changelist")


@admin.register(TerritorialCurator)
class TerritorialCuratorAdmin(SiteAdminMixin, admin.ModelAdmin):
    """Which curators are limited to which territories: superusers only, or a territorial
    curator could lift their own limit."""

    list_display = ["user", "territory"]
    list_select_related = ["user", "territory"]
    autocomplete_fields = ["territory"]
    search_fields = ["user__username", "territory__name"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_change_permission = has_delete_permission = has_view_permission


@admin.register(LegalNotice)
class LegalNoticeAdmin(admin.ModelAdmin):
    """The one legal notice: changed, never added twice nor deleted (superusers, or a staff
    member given the permission)."""

    def has_add_permission(self, request):
        return not LegalNotice.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False
