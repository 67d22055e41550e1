// Live filtering of the initiative list (list and theme pages).
//
// Without this script the filter form submits as a plain GET form. With it, any change
// fetches the same page for the new query string, swaps in its results and its facet
// fieldsets ([data-facet], whose counts depend on the other filters), and records the new URL
// in the history, so that the address bar stays shareable and Back works.
// Hooks: see the comment at the top of templates/initiatives/includes/filter_form.html.

import { filterTiming } from "./filter_timing.js";

const form = document.querySelector("[data-filter-form]");
const TYPING_DELAY = 500;
const WIDE_SCREEN = "(min-width: 60em)";

let pending = null;
let timer = null;
let loaded = window.location.href; // the address of the results shown, or being fetched

function queryString() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (value !== "") params.append(name, value);
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

function focusedId() {
  const active = document.activeElement;
  return active && active.id && form.contains(active) ? active.id : null;
}

function swap(newDocument) {
  const results = document.querySelector("[data-results]");
  const newResults = newDocument.querySelector("[data-results]");
  if (!results || !newResults) return false;
  const focused = focusedId();
  for (const fieldset of form.querySelectorAll("[data-facet]")) {
    const selector = `[data-facet="${fieldset.dataset.facet}"]`;
    const replacement = newDocument.querySelector(selector);
    if (replacement) fieldset.replaceWith(document.importNode(replacement, true));
  }
  results.replaceWith(document.importNode(newResults, true));
  if (focused && !document.activeElement?.id) document.getElementById(focused)?.focus();
  const seeResults = document.getElementById("see-results");
  const newSeeResults = newDocument.getElementById("see-results");
  if (seeResults && newSeeResults) seeResults.textContent = newSeeResults.textContent;
  const status = document.getElementById("results-status");
  const count = document.getElementById("results-title");
  if (status && count) status.textContent = count.textContent.trim();
  document.title = newDocument.title;
  return true;
}

async function load(url, { push }) {
  // A suggested actor's name filters at once, then again on change: one fetch is enough.
  const target = new URL(url, window.location.href).href;
  if (push && target === loaded) return;
  loaded = target;
  pending?.abort();
  const controller = new AbortController();
  pending = controller;
  document.querySelector("[data-results]")?.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(url, { signal: controller.signal, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const html = await response.text();
    const newDocument = new DOMParser().parseFromString(html, "text/html");
    // No results in the answer: let the browser show it, as without JavaScript.
    if (!swap(newDocument)) {
      window.location.assign(url);
      return;
    }
    if (push && new URL(url, window.location.href).href !== window.location.href) {
      window.history.pushState({ liveFilters: true }, "", url);
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    window.location.assign(url); // Let the browser show the page, or its error, as without JS.
  } finally {
    if (pending === controller) {
      pending = null;
      document.querySelector("[data-results]")?.removeAttribute("aria-busy");
    }
  }
}

function schedule(delay) {
  window.clearTimeout(timer);
  const url = new URL(form.action);
  timer = window.setTimeout(() => load(url.pathname + queryString(), { push: true }), delay);
}

if (form) {
  form.classList.add("is-live");
  const panel = form.querySelector("details");
  if (panel && window.matchMedia(WIDE_SCREEN).matches) panel.open = true;

  // Controls associated with the form from outside it (the sort menu) bubble to the document.
  for (const type of ["change", "input"]) {
    document.addEventListener(type, (event) => {
      if (event.target.form !== form) return;
      const timing = filterTiming(event);
      if (timing) schedule(timing === "typing" ? TYPING_DELAY : 0);
    });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    schedule(0);
  });
  // "See the N initiatives": to the results, with the focus, so that the keyboard goes on there.
  document.getElementById("see-results")?.addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("results-title")?.focus();
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-results] .pagination a");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    load(link.href, { push: true }).then(() => document.getElementById("results-title")?.focus());
  });
  window.addEventListener("popstate", () => {
    load(window.location.pathname + window.location.search, { push: false });
  });
}
