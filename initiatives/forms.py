from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .history import Change, changes_table, display


class InlineRowForm(forms.ModelForm):
    """A row of an admin inline (an involvement on an initiative's or an actor's page), or a
    row edited on its own page, that remembers what it was opened with.

    The form carries the values it was opened with (Django's show_hidden_initial), so that:

    - a row the curator left untouched counts as unchanged even if someone changed it since:
      it is neither validated nor saved (Django saves only changed rows), and their change
      stays;
    - a row the curator changed, which someone else changed too since the page was opened, is
      refused with what they changed, the curator's input kept. The next save is checked
      against what is saved now.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The formset adds the row's id, its deletion box and its parent's key afterwards.
        self.guarded_fields = list(self.fields)
        for name in self.guarded_fields:
            self.fields[name].show_hidden_initial = True

    @cached_property
    def changed_data(self):
        """The fields whose input differs from what the form was opened with. A choice of a
        row compares by its key, without the query Django's comparison would make."""
        changed = []
        for name, bound in self._bound_items():
            field = self.fields[name]
            if name not in self.guarded_fields:
                if bound._has_changed():
                    changed.append(name)
                continue
            opened = self.opened_with(name)
            if not isinstance(field, forms.ModelChoiceField):
                try:
                    opened = field.to_python(opened)
                except ValidationError:
                    changed.append(name)
                    continue
            if field.has_changed(opened, bound.data):
                changed.append(name)
        return changed

    def opened_with(self, name):
        """The raw value of a field when the form was opened (its hidden initial input)."""
        return (
            self.fields[name]
            .hidden_widget()
            .value_from_datadict(self.data, self.files, self.add_initial_prefix(name))
        )

    def full_clean(self):
        if self.is_bound and self.instance.pk is not None and not self.has_changed():
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            changes = self.changes_since_opened()
            if changes:
                self.data = self.data.copy()
                for name in self.guarded_fields:
                    field = self.fields[name]
                    self.data[self.add_initial_prefix(name)] = field.prepare_value(
                        self[name].initial
                    )
                raise ValidationError(row_conflict_message(changes), code="conflict")
        return cleaned_data

    def changes_since_opened(self):
        """[Change] for the fields whose saved value differs from the one the form was opened
        with."""
        model_fields = {f.name: f for f in self._meta.model._meta.concrete_fields}
        changes = []
        for name in self.guarded_fields:
            field, model_field = self.fields[name], model_fields.get(name)
            opened = self.opened_with(name)
            if model_field is None or not field.has_changed(self[name].initial, opened):
                continue
            try:
                opened_value = field.to_python(opened)
            except ValidationError:
                opened_value = opened
            if model_field.is_relation:
                opened_value = getattr(opened_value, "pk", opened_value)
            changes.append(
                Change(
                    str(model_field.verbose_name),
                    display(model_field, opened_value),
                    display(model_field, getattr(self.instance, model_field.attname)),
                )
            )
        return changes


def row_conflict_message(changes):
    return format_html(
        "{} {}",
        _(
            "Someone changed this row since you opened the page; your input is kept: bring in "
            "what you want to keep of their changes, then save again."
        ),
        changes_table(changes),
    )
