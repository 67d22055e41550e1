// An admin form sent back with errors: its first error's field takes the focus, and so comes
// into view (templates/admin/change_form.html names it at the top).
const note = document.querySelector("[data-first-error]");
const field = note && note.dataset.firstError && document.getElementById(note.dataset.firstError);
if (field) {
  field.closest("details")?.setAttribute("open", ""); // a collapsed fieldset
  field.focus();
}
