from django import template
from django.forms.forms import NON_FIELD_ERRORS
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def first_error(adminform, inline_admin_formsets):
    """{"label", "message", "id"} of the first error of an admin form, in page order: the
    form's own fields, then each inline's rows. The top of the form names it and links to it,
    instead of a bare "please correct the error below"."""
    form = adminform.form
    for name in form.errors:
        if name == NON_FIELD_ERRORS:
            return {"label": "", "message": form.errors[name][0], "id": ""}
        if name in form.fields:
            field = form[name]
            return {"label": field.label, "message": form.errors[name][0], "id": field.id_for_label}
    for inline in inline_admin_formsets:
        formset = inline.formset
        if formset.non_form_errors():
            return {
                "label": inline.opts.verbose_name_plural,
                "message": formset.non_form_errors()[0],
                "id": "",
            }
        for number, row in enumerate(formset.forms, start=1):
            for name, messages in row.errors.items():
                label = _("%(inline)s, row %(number)s") % {
                    "inline": inline.opts.verbose_name_plural,
                    "number": number,
                }
                if name in row.fields:
                    label = f"{label}, {row[name].label}"
                    return {"label": label, "message": messages[0], "id": row[name].id_for_label}
                return {"label": label, "message": messages[0], "id": ""}
    return None
