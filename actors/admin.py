from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.admin_site import SiteAdminMixin
from initiatives.forms import InlineRowForm
from initiatives.history import GuardedEditAdmin, HistoryAdmin
from initiatives.scoping import TerritoryScopedAdmin

from .models import Actor, ActorContact, Involvement


class ActorContactInline(admin.StackedInline):
    model = ActorContact
    verbose_name_plural = _("Private contact (never shown publicly)")
    fields = ["name", "email", "phone"]
    can_delete = False


class InvolvementInline(SiteAdminMixin, admin.TabularInline):
    model = Involvement
    form = InlineRowForm
    autocomplete_fields = ["initiative"]
    fields = [
        "initiative",
        "role",
        "taker_kind",
        "start_year",
        "end_year",
        "amount",
        "currency",
        "note",
    ]
    # "15 000,00" in French, as curators write amounts.
    formfield_overrides = {models.DecimalField: {"localize": True}}
    extra = 0


class ActorAdminForm(forms.ModelForm):
    def clean_slug(self):
        """A slug already taken is usually the same actor entered twice: offer the existing
        one, with a link to it, instead of a bare "already exists"."""
        slug = self.cleaned_data["slug"]
        existing = Actor.objects.filter(slug=slug).exclude(pk=self.instance.pk).first()
        if existing:
            url = reverse("admin:actors_actor_change", args=[existing.pk])
            raise forms.ValidationError(
                format_html(
                    _(
                        '“{name}” already exists with this slug: <a href="{url}">use it</a>, or '
                        "change the slug if it is another actor."
                    ),
                    name=existing.name,
                    url=url,
                ),
                code="unique",
            )
        return slug


@admin.register(Actor)
class ActorAdmin(GuardedEditAdmin):
    form = ActorAdminForm
    # A website typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "kind", "sector", "territory", "updated_at"]
    list_filter = ["kind", "sector", "involvements__role"]
    list_select_related = ["territory"]
    search_fields = ["name", "slug", "territory__name"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ActorContactInline, InvolvementInline]
    fields = [
        "name",
        "slug",
        "kind",
        "sector",
        "territory",
        "website",
        "description",
        "image",
        "image_alt",
    ]


@admin.register(Involvement)
class InvolvementAdmin(TerritoryScopedAdmin, HistoryAdmin):
    form = InlineRowForm
    list_display = ["initiative", "actor", "role", "taker_kind", "start_year", "amount"]
    list_filter = ["role", "taker_kind"]
    list_select_related = ["initiative", "actor"]
    search_fields = ["initiative__name", "actor__name"]
    autocomplete_fields = ["initiative", "actor"]
