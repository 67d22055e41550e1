from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from initiatives.models import Initiative


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
