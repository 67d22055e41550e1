from django import forms
from django.forms.utils import ErrorDict


class InlineRowForm(forms.ModelForm):
    """A row of an admin inline that the curator left untouched is not validated again.

    Django saves only the rows that changed; validating the others would cost queries for
    nothing (one per field naming another row, three per involvement) on every save of an
    initiative with a long list of involvements. A row that changes, is added or is deleted
    is validated as usual, uniqueness included.
    """

    def full_clean(self):
        if self.is_bound and self.instance.pk is not None and not self.has_changed():
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()
