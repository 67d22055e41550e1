// The proposal form's autocompletes: an input with data-suggest-url gets suggestions in its
// <datalist> as one types. Without JavaScript the form works the same: the server reads the
// typed names. A commune's suggestion also writes the commune's id into the hidden input that
// data-suggest-id names, so that the location picker centres its map on the commune.
const DELAY_MS = 200;

for (const input of document.querySelectorAll("input[data-suggest-url]")) {
  const list = document.getElementById(input.getAttribute("list"));
  const idInput = input.dataset.suggestId ? input.form.elements[input.dataset.suggestId] : null;
  let results = [];
  let timer = null;
  let controller = null;

  const choose = () => {
    if (!idInput) return;
    const chosen = results.find((result) => result.label === input.value);
    const id = chosen ? String(chosen.id) : "";
    if (idInput.value !== id) {
      idInput.value = id;
      idInput.dispatchEvent(new Event("change"));
    }
  };

  const load = async () => {
    const text = input.value.trim();
    if (text.length < 2) return;
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const url = `${input.dataset.suggestUrl}?q=${encodeURIComponent(text)}`;
      const response = await fetch(url, { signal: controller.signal });
      if (!response.ok) return;
      results = (await response.json()).results;
    } catch {
      return; // aborted by the next keystroke, or offline: the typed text still counts
    }
    list.replaceChildren(
      ...results.map((result) => Object.assign(document.createElement("option"), { value: result.label })),
    );
    choose();
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, DELAY_MS);
    choose();
  });
}
