"""Contributions from the public: proposing an initiative at /proposer/, suggesting a
correction of one at /initiatives/<slug>/corriger/.

A proposal is an initiative saved as `submitted`, with its actors, and a `Proposal` that keeps
the contributor's name and e-mail privately. Nothing of it is public until a curator publishes
it (initiatives/admin.py's moderation queue); actors typed in a proposal stay unlisted until
then (ActorQuerySet.public). The contributor gets an e-mail with a private link to the
proposal's status. A correction is stored as a `Correction`, not applied, until a curator
accepts it.

Anti-abuse, without a third-party service: a field hidden from people that robots fill in
(the honeypot), a minimum time to fill in the form (a signed timestamp), a rate limit per
address (django-ratelimit, in the project's cache), size limits on every field and on the
numbers of actors and themes. A refused submission says why and keeps what was typed.
"""

import re
import time

import reversion
from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import send_mail
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.core import is_ratelimited

from actors.models import Actor, Involvement
from config.middleware import client_ip

from .curators import CURATORS_GROUP
from .models import (
    Correction,
    Initiative,
    Proposal,
    TerritorialCurator,
    Territory,
    TerritoryBoundary,
    Theme,
    departement_of_commune_code,
)
from .search import place_key, words_of
from .widgets import LocationPickerWidget

MAX_THEMES = 5
MAX_ACTORS = 10
# Long texts: enough for a real description, not for a dump.
LONG_TEXT = 5000
# "Saint-Denis (93)" or "Saint-Denis (93) — 93066", as the autocomplete writes them.
COMMUNE_WITH_DEPARTEMENT = re.compile(r"^(?P<name>.+?)\s*\((?P<departement>\w{2,3})\)(\s*—.*)?$")
AMBIGUOUS_SHOWN = 8
SIGNER_SALT = "essaim.proposal.started"


def https_urls(model_field, **kwargs):
    """A model form's field, a web address without a scheme read as https (Django 6's rule)."""
    if isinstance(model_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return model_field.formfield(**kwargs)


def commune_label(commune):
    """A commune as the public form shows it: "Saint-Denis (93)"."""
    if commune.code and commune.country == "FR":
        return f"{commune.name} ({departement_of_commune_code(commune.code)})"
    return commune.name


class CommuneField(forms.CharField):
    """A commune typed as text: its name, "name (département)" or its INSEE code. Without
    JavaScript, a name that several communes bear is refused with their labels to choose
    from; the autocomplete (communes.js) writes a label directly."""

    def __init__(self, **kwargs):
        super().__init__(max_length=200, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        communes = Territory.objects.filter(kind=Territory.Kind.COMMUNE)
        text = value.strip()
        if re.fullmatch(r"\d[\dAB]\d{3}", text):
            found = list(communes.filter(code=text)[:2])
        else:
            match = COMMUNE_WITH_DEPARTEMENT.match(text)
            name = match["name"] if match else text
            found = list(communes.filter(search_name=place_key(name))[: AMBIGUOUS_SHOWN + 1])
            if match:
                departement = match["departement"]
                found = [
                    c for c in found if departement_of_commune_code(c.code or "") == departement
                ]
        if not found:
            raise forms.ValidationError(
                _("No commune is named “%(name)s”: check its spelling.") % {"name": text}
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several communes are named so: write one of %(choices)s.")
                % {"choices": ", ".join(commune_label(c) for c in found[:AMBIGUOUS_SHOWN])}
            )
        return found[0]


class HumanChecks(forms.Form):
    """What tells a person from a robot in the public forms: a field hidden from people by the
    page's style, which robots fill in (the honeypot), and a signed timestamp of when the form
    was shown, refused when sent faster than CONTRIBUTION_MIN_SECONDS."""

    nickname = forms.CharField(
        label=gettext_lazy("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound or not self.data.get("started"):
            self.initial["started"] = started_token()

    def clean_nickname(self):
        if self.cleaned_data["nickname"]:
            raise forms.ValidationError(
                _("This field must stay empty: robots fill it in, people do not see it.")
            )
        return ""

    def clean_started(self):
        try:
            started = float(signing.TimestampSigner(salt=SIGNER_SALT).unsign(self.data["started"]))
        except (signing.BadSignature, ValueError):
            started = None
        if started is None or time.time() - started < settings.CONTRIBUTION_MIN_SECONDS:
            # A new token, so that sending again works.
            self.data = self.data.copy()
            self.data["started"] = started_token()
            raise forms.ValidationError(
                _(
                    "The form was sent faster than a person fills it in. Check what you wrote, "
                    "then send it again."
                )
            )
        return started


def at_most_themes(themes):
    if len(themes) > MAX_THEMES:
        raise forms.ValidationError(_("Choose at most %(count)d themes.") % {"count": MAX_THEMES})
    return themes


def commune_field():
    return CommuneField(
        label=gettext_lazy("Commune"),
        required=False,
        help_text=gettext_lazy("Where the initiative is based, e.g. “Saint-Denis (93)”."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "list": "commune-suggestions",
                "data-suggest-url": reverse_lazy("commune_suggestions"),
                "data-suggest-id": "commune_id",
            }
        ),
    )


def themes_field():
    return forms.ModelMultipleChoiceField(
        queryset=Theme.objects.order_by("parent__position", "position", "name"),
        label=gettext_lazy("Themes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("At most %(count)d.") % {"count": MAX_THEMES},
    )


class ProposalForm(HumanChecks, forms.ModelForm):
    commune = commune_field()
    themes = themes_field()
    contributor_name = forms.CharField(label=gettext_lazy("Your name"), max_length=120)
    contributor_email = forms.EmailField(label=gettext_lazy("Your e-mail"), max_length=254)
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree that this directory keeps my name and e-mail to moderate this proposal and to "
            "tell me what becomes of it."
        ),
    )
    point_checked = forms.BooleanField(label=gettext_lazy("The point is right"), required=False)

    class Meta:
        model = Initiative
        formfield_callback = https_urls
        fields = [
            "name",
            "summary",
            "description",
            "how_it_works",
            "obstacles",
            "enablers",
            "themes",
            "stage",
            "commune",
            "latitude",
            "longitude",
            "website",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 5, "maxlength": LONG_TEXT})
            for name in ("description", "how_it_works", "obstacles", "enablers")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "how_it_works", "obstacles", "enablers"):
            self.fields[name].validators.append(MaxLengthValidator(LONG_TEXT))
        self.fields["summary"].widget = forms.Textarea(attrs={"rows": 2, "maxlength": 280})
        for name in ("latitude", "longitude"):
            self.fields[name].required = False
        # The map fills both coordinates and centres on the commune the autocomplete chose.
        self.fields["longitude"].widget = LocationPickerWidget(commune_field="commune_id")

    def clean_themes(self):
        return at_most_themes(self.cleaned_data["themes"])

    def clean(self):
        data = super().clean()
        commune, latitude, longitude = (data.get(n) for n in ("commune", "latitude", "longitude"))
        if commune and latitude is not None and longitude is not None and not data["point_checked"]:
            outline = TerritoryBoundary.objects.filter(
                territory__kind=Territory.Kind.DEPARTEMENT,
                territory__code=departement_of_commune_code(commune.code or ""),
            ).first()
            if outline and outline.is_far_from(latitude, longitude):
                self.point_warning = True
                self.add_error(
                    "latitude",
                    _(
                        "This point lies far outside the département of %(commune)s. Move it, "
                        "or tick “The point is right” if it is."
                    )
                    % {"commune": commune_label(commune)},
                )
        return data


class ActorRowForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Actor"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "list": "actor-suggestions",
                "data-suggest-url": reverse_lazy("actor_suggestions"),
            }
        ),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[("", "—"), *Involvement.Role.choices], required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("name") and not data.get("role"):
            self.add_error("role", _("Choose this actor's role."))
        return data


ActorRows = forms.formset_factory(
    ActorRowForm, extra=4, max_num=MAX_ACTORS, absolute_max=MAX_ACTORS, validate_max=True
)


def started_token():
    return signing.TimestampSigner(salt=SIGNER_SALT).sign(str(time.time()))


def over_rate_limit(request, group, rate):
    """Whether this address has sent `rate` contributions of this group already (counts this
    one): "proposals" at PROPOSAL_RATE_LIMIT, "corrections" at CORRECTION_RATE_LIMIT."""
    return is_ratelimited(
        request,
        group=group,
        key=lambda group, request: client_ip(request),
        rate=rate,
        increment=True,
    )


@transaction.atomic
def save_proposal(form, actor_rows, status_url_of):
    """The proposed initiative, its actors and its Proposal, as one revision of the history;
    the e-mails go once the transaction commits. `status_url_of(proposal)` gives the
    absolute address of the proposal's status page."""
    data = form.cleaned_data
    with reversion.create_revision():
        reversion.set_comment(
            _("Proposed through the public form by %(name)s.") % {"name": data["contributor_name"]}
        )
        initiative = form.save(commit=False)
        initiative.status = Initiative.Status.SUBMITTED
        initiative.slug = free_slug(Initiative, initiative.name, "initiative")
        initiative.save()
        form.save_m2m()
        wanted = {}
        for row in actor_rows:
            if row.get("name"):
                wanted[(words_of(row["name"]), row["role"])] = row["name"].strip()
        for (key, role), name in wanted.items():
            Involvement.objects.create(
                initiative=initiative, actor=actor_named(key, name), role=role
            )
        proposal = Proposal.objects.create(
            initiative=initiative,
            contributor_name=data["contributor_name"],
            contributor_email=data["contributor_email"],
        )
    status_url = status_url_of(proposal)
    transaction.on_commit(lambda: send_proposal_emails(proposal, status_url))
    return proposal


def actor_named(key, name):
    """The public actor with this name (words compared without accents), else a new one,
    unlisted until the initiative is published."""
    for actor in Actor.objects.public().filter(name__iexact=name.strip())[:1]:
        return actor
    candidates = Actor.objects.public().filter(name__icontains=name.strip()[:50])[:20]
    for actor in candidates:
        if words_of(actor.name) == key:
            return actor
    return Actor.objects.create(
        name=name.strip(),
        slug=free_slug(Actor, name, "acteur"),
        kind=Actor.Kind.ASSOCIATION,
        sector=Actor.Sector.ESS,
    )


def free_slug(model, name, fallback):
    base = slugify(name)[:190] or fallback
    slug, number = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def send_proposal_emails(proposal, status_url):
    """To the contributor, the private link to the proposal's status; to the curators, the
    news of a proposal to moderate (unless NOTIFY_CURATORS is off)."""
    context = {"proposal": proposal, "initiative": proposal.initiative, "status_url": status_url}
    send_mail(
        _("Your proposal “%(name)s” is received") % {"name": proposal.initiative.name},
        render_to_string("emails/proposal_received.txt", context),
        None,
        [proposal.contributor_email],
    )
    notify_curators(
        _("A proposal to moderate: “%(name)s”") % {"name": proposal.initiative.name},
        "emails/proposal_to_curators.txt",
        context,
    )


def notify_curators(subject, template, context):
    """E-mail the curators of `context["initiative"]` who have an address (curators_of),
    unless NOTIFY_CURATORS is off."""
    if not settings.NOTIFY_CURATORS:
        return
    addresses = list(
        curators_of(context["initiative"]).exclude(email="").values_list("email", flat=True)
    )
    if addresses:
        send_mail(subject, render_to_string(template, context), None, addresses)


def curators_of(initiative):
    """The active curators whose territories hold the initiative (its commune or a territory
    it acts in, or one above them), the national curators and the superusers."""
    places = [initiative.commune, *initiative.action_territories.all()]
    paths = {path for place in places if place for path in place.ancestor_paths()}
    limited = TerritorialCurator.objects.filter(user=OuterRef("pk"))
    return User.objects.filter(
        Q(groups__name=CURATORS_GROUP) | Q(is_superuser=True),
        Q(is_superuser=True) | ~Exists(limited) | Exists(limited.filter(territory__path__in=paths)),
        is_active=True,
    ).distinct()


def send_rejection_email(proposal, status_url):
    if proposal.contributor_email:
        send_mail(
            _("Your proposal “%(name)s”") % {"name": proposal.initiative.name},
            render_to_string(
                "emails/proposal_rejected.txt",
                {"proposal": proposal, "initiative": proposal.initiative, "status_url": status_url},
            ),
            None,
            [proposal.contributor_email],
        )


class CorrectionForm(HumanChecks, forms.ModelForm):
    """The initiative's public fields, as they are: the visitor changes what is wrong. Bound to
    a copy of the initiative, never saved: save_correction() keeps what changed."""

    commune = commune_field()
    themes = themes_field()

    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        help_text=gettext_lazy("What is wrong, how you know it: a source helps the curators."),
    )
    contributor_name = forms.CharField(
        label=gettext_lazy("Your name"), max_length=120, required=False
    )
    contributor_email = forms.EmailField(
        label=gettext_lazy("Your e-mail"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("To be told whether the correction is accepted, or why not."),
    )

    class Meta:
        model = Initiative
        formfield_callback = https_urls
        fields = list(Correction.FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 5, "maxlength": LONG_TEXT})
            for name in ("description", "how_it_works", "obstacles", "enablers", "lessons")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "how_it_works", "obstacles", "enablers", "lessons"):
            self.fields[name].validators.append(MaxLengthValidator(LONG_TEXT))
        self.fields["summary"].widget = forms.Textarea(attrs={"rows": 2, "maxlength": 280})
        commune = self.instance.commune
        self.initial["commune"] = commune_label(commune) if commune else ""

    def clean_themes(self):
        return at_most_themes(self.cleaned_data["themes"])

    def clean(self):
        data = super().clean()
        if not self.suggested() and not data.get("comment", "").strip() and not self.errors:
            raise forms.ValidationError(_("Change a field, or say in the comment what is wrong."))
        return data

    def suggested(self):
        """{field: suggested value} of the fields the visitor changed, as a Correction keeps
        them: the commune by its pk, the themes as a sorted list of pks."""
        suggested = {}
        for name in self.changed_data:
            if name not in Correction.FIELDS or name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if name == "commune":
                value = value.pk if value else None
            elif name == "themes":
                value = sorted(theme.pk for theme in value)
            suggested[name] = value
        return suggested


def save_correction(form, initiative):
    """Store the suggestion beside the values the visitor saw; the initiative is untouched.
    Curators are told once the transaction commits."""
    correction = Correction(
        initiative=initiative,
        changes=form.suggested(),
        comment=form.cleaned_data["comment"].strip(),
        contributor_name=form.cleaned_data["contributor_name"],
        contributor_email=form.cleaned_data["contributor_email"],
    )
    correction.seen = correction.current_values()
    correction.save()
    transaction.on_commit(
        lambda: notify_curators(
            _("A correction to moderate: “%(name)s”") % {"name": initiative.name},
            "emails/correction_to_curators.txt",
            {"correction": correction, "initiative": initiative},
        )
    )
    return correction


def send_correction_rejection_email(correction):
    if correction.contributor_email:
        send_mail(
            _("Your correction of “%(name)s”") % {"name": correction.initiative.name},
            render_to_string(
                "emails/correction_rejected.txt",
                {"correction": correction, "initiative": correction.initiative},
            ),
            None,
            [correction.contributor_email],
        )
