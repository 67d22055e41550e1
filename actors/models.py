import reversion
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from initiatives.images import WithImage
from initiatives.models import (
    Initiative,
    RemembersLoadedValues,
    Territory,
    ValidatedOnce,
    count_edit,
)


class ActorKind(models.TextChoices):
    ASSOCIATION = "association", _("association")
    COOPERATIVE = "cooperative", _("coopérative")
    COMPANY = "company", _("company")
    LOCAL_AUTHORITY = "local_authority", _("collectivité")
    PUBLIC_AGENCY = "public_agency", _("State or public agency")
    FOUNDATION = "foundation", _("foundation")
    FUNDER = "funder", _("funder")
    NETWORK = "network", _("network")
    RESEARCH = "research", _("research / university")
    CITIZEN_COLLECTIVE = "citizen_collective", _("citizen collective")
    PERSON = "person", _("person")


class Sector(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE = "private", _("private for-profit")
    ESS = "ess", _("ESS")
    CITIZEN = "citizen", _("citizen")


class ActorQuerySet(models.QuerySet):
    def public(self):
        """Actors involved in at least one published initiative: the others stay unlisted."""
        return self.filter(
            models.Exists(Involvement.objects.public().filter(actor=models.OuterRef("pk")))
        )

    def with_role_counts(self):
        """Annotate `<role>_count` for each role: the published initiatives in that role."""
        published = Q(involvements__initiative__status=Initiative.Status.PUBLISHED)
        return self.annotate(
            **{
                f"{role}_count": models.Count(
                    "involvements", filter=published & Q(involvements__role=role)
                )
                for role in Role.values
            }
        )


@reversion.register(follow=["contact"])
class Actor(ValidatedOnce, RemembersLoadedValues, WithImage):
    Kind = ActorKind
    Sector = Sector

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actors",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # See Initiative.edit_count.
    edit_count = models.PositiveIntegerField(default=0, editable=False)

    objects = ActorQuerySet.as_manager()

    class Meta:
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
            models.CheckConstraint(
                condition=Q(sector__in=Sector.values), name="actor_sector_valid"
            ),
        ]
        indexes = [models.Index(fields=["name"], name="actor_name")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        count_edit(self, kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("actor_detail", args=[self.slug])

    def named_initiatives(self):
        """The initiatives whose search documents hold this actor's name, after a rename
        (initiatives/freshness.py asks)."""
        if not self.has_changed("name"):
            return []
        return self.involvements.values_list("initiative_id", flat=True)


@reversion.register()
class ActorContact(models.Model):
    """Whom to call at an actor: private, in a table of its own that no public page reads.

    Shown to curators in the admin only, never on a public page, an export or the API.
    """

    actor = models.OneToOneField(
        Actor, verbose_name=_("actor"), on_delete=models.CASCADE, related_name="contact"
    )
    name = models.CharField(_("contact name"), max_length=200, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("private contact")
        verbose_name_plural = _("private contacts")

    def __str__(self):
        return self.name or self.email or self.phone or str(self.actor)


class InvolvementQuerySet(models.QuerySet):
    def public(self):
        return self.filter(initiative__status=Initiative.Status.PUBLISHED)


class Currency(models.TextChoices):
    """The currencies of the directory's funders (ISO 4217): France's, Québec's."""

    EUR = "EUR", "€"
    CAD = "CAD", "$ CA"

    @classmethod
    def of_country(cls, country):
        """The currency funders of a territory of this country (ISO 3166) most likely use."""
        return cls.CAD if country == "CA" else cls.EUR


class Role(models.TextChoices):
    CARRIER = "carrier", _("porteur")
    FUNDER = "funder", _("bailleur de fonds")
    SUPPORT = "support", _("partenaire de soutien")
    TAKER = "taker", _("preneur")


# The roles in the plural, as headings over the actors of an initiative or the initiatives of
# an actor.
ROLE_HEADINGS = {
    Role.CARRIER: _("porteurs"),
    Role.FUNDER: _("bailleurs de fonds"),
    Role.SUPPORT: _("partenaires de soutien"),
    Role.TAKER: _("preneurs"),
}


def group_by_role(involvements):
    """[(role, heading, its involvements)] for the four roles, in the order of Role."""
    return [
        (role, ROLE_HEADINGS[role], [i for i in involvements if i.role == role]) for role in Role
    ]


class TakerKind(models.TextChoices):
    ADOPTER = "adopter", _("adopts the innovation")
    BENEFICIARY = "beneficiary", _("benefits from it")


@reversion.register()
class Involvement(ValidatedOnce, models.Model):
    """An actor's role in an initiative, after the RQIS's four roles."""

    Role = Role
    TakerKind = TakerKind
    Currency = Currency

    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="involvements",
    )
    actor = models.ForeignKey(
        Actor, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="involvements"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    taker_kind = models.CharField(
        _("kind of preneur"),
        max_length=20,
        choices=TakerKind.choices,
        blank=True,
        help_text=_("For a preneur only: an organisation that adopts it, or its users."),
    )
    start_year = models.PositiveSmallIntegerField(
        _("from"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    end_year = models.PositiveSmallIntegerField(
        _("until"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("For a bailleur de fonds only."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = InvolvementQuerySet.as_manager()

    class Meta:
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")
        ordering = ["role", "actor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "actor", "role"], name="involvement_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="involvement_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(taker_kind="") | Q(role="taker", taker_kind__in=TakerKind.values),
                name="involvement_taker_kind_for_takers",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(role="funder", amount__gte=0),
                name="involvement_amount_for_funders",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="involvement_currency_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(end_year__isnull=True)
                | Q(start_year__lte=models.F("end_year")),
                name="involvement_years_ordered",
            ),
        ]
        indexes = [
            # "Everything the Fondation Macif funds": actor and role first; the latest first on
            # the actor's page (views.ActorDetailView).
            models.Index(fields=["actor", "role", "-id"], name="involvement_actor_role"),
        ]

    def __str__(self):
        return f"{self.actor} — {self.get_role_display()} — {self.initiative}"

    def clean(self):
        errors = {}
        if self.taker_kind and self.role != self.Role.TAKER:
            errors["taker_kind"] = _("Only a preneur adopts or benefits.")
        if self.amount is not None and self.role != self.Role.FUNDER:
            errors["amount"] = _("Only a bailleur de fonds gives an amount.")
        if self.start_year and self.end_year and self.start_year > self.end_year:
            errors["end_year"] = _("The end year comes before the start year.")
        if errors:
            raise ValidationError(errors)
