from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from initiatives.models import ImportMapping, Initiative, Theme

from .mapping import TARGETS
from .readers import UnreadableFile, read_table

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon), XLSX, JSON, GeoJSON or a GoGoCarto export."),
    )
    source = forms.SlugField(
        label=_("Source"),
        required=False,
        max_length=50,
        help_text=_(
            "A short name for where the file comes from (e.g. transiscope, cress-hdf): "
            "importing a file of the same source again updates what this one creates."
        ),
    )
    saved_mapping = forms.ModelChoiceField(
        label=_("Saved mapping"),
        queryset=ImportMapping.objects.all(),
        required=False,
        help_text=_("The columns as mapped for an earlier file of this source."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        try:
            self.table = read_table(upload.read())
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from error
        upload.seek(0)
        if not self.table.rows:
            raise forms.ValidationError(_("The file holds no row."))
        return upload

    def clean(self):
        cleaned_data = super().clean()
        if "file" in cleaned_data and not cleaned_data.get("source"):
            saved = cleaned_data.get("saved_mapping")
            if saved:
                cleaned_data["source"] = saved.source
            elif self.table.is_gogocarto:
                cleaned_data["source"] = "gogocarto"
            else:
                cleaned_data["source"] = slugify(cleaned_data["file"].name.rsplit(".", 1)[0])[:50]
        return cleaned_data


class MappingForm(forms.Form):
    """A select per target of the mapping, a theme per category found in the file."""

    status = forms.ChoiceField(
        label=_("New initiatives are"),
        choices=[
            (Initiative.Status.DRAFT, _("drafts, to check before publishing")),
            (Initiative.Status.PUBLISHED, _("published at once")),
        ],
    )
    separator = forms.CharField(
        label=_("Between several names in a cell"), max_length=3, initial=";", strip=False
    )
    save_as = forms.CharField(
        label=_("Save this mapping as"),
        required=False,
        max_length=100,
        help_text=_("To reuse it for the next file of this source."),
    )

    def __init__(self, *args, table, mapping, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        columns = [("", "—")] + [(column, column) for column in table.columns]
        current = mapping.get("columns", {})
        self.target_fields = []
        for target in TARGETS:
            name = f"column_{target.name}"
            chosen = current.get(target.name)
            if isinstance(chosen, list):
                chosen = next((c for c in chosen if c in table.columns), "")
            self.fields[name] = forms.ChoiceField(
                label=target.label, choices=columns, required=False, initial=chosen or ""
            )
            self.target_fields.append((target, name))
        themes = [("", "—")] + [(theme.slug, str(theme)) for theme in Theme.objects.all()]
        self.category_fields = []
        category_column = current.get("categories")
        if category_column:
            known = {str(key): value for key, value in (mapping.get("themes") or {}).items()}
            column = category_column if isinstance(category_column, str) else category_column[0]
            for number, value in enumerate(table.distinct(column)):
                name = f"theme_{number}"
                self.fields[name] = forms.ChoiceField(
                    label=str(value), choices=themes, required=False, initial=known.get(value, "")
                )
                self.category_fields.append((str(value), name))
        self.fields["status"].initial = mapping.get("status") or Initiative.Status.DRAFT
        self.fields["separator"].initial = mapping.get("separator") or ";"

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("column_name"):
            raise forms.ValidationError(_("Choose the column that holds the initiatives' names."))
        return cleaned_data

    def mapping(self):
        data = self.cleaned_data
        return {
            "columns": {
                target.name: data[name] for target, name in self.target_fields if data.get(name)
            },
            "themes": {value: data[name] for value, name in self.category_fields if data[name]},
            "status": data["status"],
            "separator": data["separator"] or ";",
        }

    def samples(self):
        """[(column, its first values)] for the page."""
        return [(column, self.table.samples(column)) for column in self.table.columns]
