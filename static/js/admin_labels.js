// Names for the admin's fields that Django leaves without one (RGAA, axe): the inputs of a
// tabular inline row, which sit under a column heading but have no <label>, and the
// autocompletes (select2), whose visible box is not the labelled <select>.

function nameInlineRows(root) {
  for (const table of root.querySelectorAll(".tabular table")) {
    const headings = [...(table.tHead?.rows[0]?.cells || [])].map((cell) => cell.textContent.trim());
    table.querySelectorAll("tbody tr.form-row").forEach((row, index) => {
      for (const cell of row.cells) {
        const heading = headings[cell.cellIndex];
        if (!heading) continue;
        for (const input of cell.querySelectorAll("input:not([type=hidden]), select, textarea")) {
          if (!input.labels?.length && !input.hasAttribute("aria-label")) {
            input.setAttribute("aria-label", `${heading} (${index + 1})`);
          }
        }
      }
    });
  }
}

function nameAutocompletes(root) {
  for (const select of root.querySelectorAll("select.admin-autocomplete")) {
    const name = select.getAttribute("aria-label") || select.labels?.[0]?.textContent.trim();
    const box = select.nextElementSibling;
    if (!name || !box || !box.classList.contains("select2")) continue;
    for (const element of box.querySelectorAll(
      "[role=combobox], [role=textbox], .select2-search__field",
    )) {
      element.setAttribute("aria-label", name);
    }
    // The chosen values of a multiple choice: a list of items (select2 leaves it unnamed).
    for (const list of box.querySelectorAll(".select2-selection--multiple > ul")) {
      list.setAttribute("role", "list");
      for (const item of list.children) item.setAttribute("role", "listitem");
    }
  }
}

function nameAll() {
  nameInlineRows(document);
  nameAutocompletes(document);
}

// After Django's autocomplete.js has made its select2 boxes (on jQuery's ready).
window.addEventListener("load", nameAll);
document.addEventListener("formset:added", () => window.setTimeout(nameAll));
