from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views import autocomplete
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class AutocompleteJsonView(autocomplete.AutocompleteJsonView):
    """Autocomplete answers that name a row as its model says, when it says
    (autocomplete_label(): a commune with its département and code)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if hasattr(obj, "autocomplete_label"):
            result["text"] = obj.autocomplete_label()
        return result


class EssaimAdminSite(admin.AdminSite):
    index_title = _("Directory content")

    @property
    def site_header(self):
        return format_lazy(_("{name} — curators' administration"), name=settings.SITE_NAME)

    @property
    def site_title(self):
        return format_lazy(_("{name} administration"), name=settings.SITE_NAME)

    def autocomplete_view(self, request):
        return AutocompleteJsonView.as_view(admin_site=self)(request)

    def index(self, request, extra_context=None):
        from initiatives.models import Correction, Initiative, Proposal

        # What needs a curator's attention, above the list of models (an indexed count each).
        context = {**(extra_context or {})}
        if request.user.has_perm("initiatives.view_initiative"):
            context["stale_count"] = Initiative.objects.stale().count()
        if request.user.has_perm("initiatives.view_proposal"):
            context["pending_proposals"] = Proposal.objects.filter(
                status=Proposal.Status.PENDING
            ).count()
        if request.user.has_perm("initiatives.view_correction"):
            context["pending_corrections"] = Correction.objects.filter(
                status=Correction.Status.PENDING
            ).count()
        return super().index(request, context)


class SafeChangeList(ChangeList):
    """Django's change list, for which a date hierarchy parameter too large for a date
    (?updated_at__year=99999999999) is a bad lookup, like any other, not an OverflowError."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class SafeAutocompleteMixin:
    """An autocomplete widget that renders a submitted value which names no row (a ":" for a
    commune's id, an id beyond the database's integers) as no choice: Django's would query
    with it and fail."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        field_name = getattr(remote, "field_name", None)
        target = remote.model._meta.get_field(field_name) if field_name else remote.model._meta.pk
        return super().optgroups(name, [v for v in value if converts(target, v)], attr)


def converts(model_field, value):
    try:
        # The validators hold the database's range of integers (SQLite cannot take 2**63).
        model_field.run_validators(model_field.to_python(value))
    except ValidationError:
        return False
    return True


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, for which a value beyond the database's integers (a themes=2**63 in
    a forged form) is an invalid choice, like any other unknown one, not an OverflowError
    from the query that checks the values."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for pk in value if isinstance(value, list | tuple | set) else []:
            if not converts(target, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class SafeAutocompleteSelect(SafeAutocompleteMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(SafeAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class SiteAdminMixin:
    """What every ModelAdmin and inline of the project gets: a change list and autocomplete
    widgets that give an error message for any parameter, never a server error."""

    def get_changelist(self, request, **kwargs):
        return SafeChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using")),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget",
                SafeAutocompleteSelectMultiple(
                    db_field, self.admin_site, using=kwargs.get("using")
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
