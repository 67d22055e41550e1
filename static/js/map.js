// The map of /carte/, /carte/embed/ and the territory pages. Options come from the json_script
// block named by the map element's data-map attribute. When the page has a filter form
// (inside [data-map-filters]), changing it updates the markers, the URL and the links to the
// list and to this map without reloading; without JavaScript the form simply submits.
import { ClusterLayer } from "./map_clusters.js";
import { createMap, format, readConfig } from "./map_common.js";
import { filterTiming } from "./filter_timing.js";

// Listed under the map, at most, of the initiatives and of the clusters in view.
const MAX_LISTED = 50;

const element = document.querySelector("[data-map]");
if (element && window.L) start(element);

function start(element) {
  const config = readConfig(element.dataset.map);
  const map = createMap(element, config);
  const status = document.querySelector("[data-map-status]");
  const inView = document.querySelector("[data-map-in-view]");
  const showZoom = () => {
    element.dataset.zoom = String(map.getZoom());
  };
  map.on("zoomend", showZoom);
  showZoom();

  const layer = new ClusterLayer(map, config, {
    onData(collection) {
      element.dataset.total = String(collection.total);
      if (inView) listInView(inView, collection, layer, config.text);
      if (status) status.textContent = "";
      for (const unlocated of document.querySelectorAll("[data-map-unlocated]")) {
        unlocated.textContent = String(collection.unlocated);
      }
    },
    onError(body) {
      if (!status) return;
      status.textContent =
        body && body.error ? `${config.text.badFilters} ${body.error}` : config.text.error;
    },
  });
  layer.setParams(config.params);
  if (config.fitToResults) {
    layer.fitToResults(config.fallbackCenter || null);
  } else {
    layer.refresh();
  }

  // The skip links give the focus to the map or to its list (a fragment alone scrolls).
  for (const link of document.querySelectorAll(".map-skip-links a")) {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(link.hash.slice(1));
      if (!target) return;
      event.preventDefault();
      target.focus();
    });
  }

  document.querySelector("[data-map-show-all]")?.addEventListener("click", () => {
    layer.fitToResults();
  });

  const form = document.querySelector("[data-map-filters] form");
  if (form) followFilters(form, layer, config);
}

function followFilters(form, layer, config) {
  let current = new URLSearchParams(config.params);
  let typing = null;
  let facets = null;
  const panel = form.querySelector("details");
  if (panel && window.matchMedia("(min-width: 50em)").matches) panel.open = true;

  const apply = () => {
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value !== "") next.append(name, value);
    }
    if (next.toString() === current.toString()) return;
    const territoryChanged = next.get("territory") !== current.get("territory");
    current = next;
    const query = next.toString();
    history.pushState({ mapFilters: true }, "", query ? `?${query}` : window.location.pathname);
    updateLinks(config, query);
    layer.setParams(next);
    if (territoryChanged && next.get("territory")) {
      layer.fitToResults();
    } else if (territoryChanged) {
      layer.map.setView(config.center, config.zoom); // Everywhere again: the default view.
      layer.schedule();
    } else {
      layer.refresh();
    }
    facets = refreshFacets(form, query, facets);
  };

  // Back and Forward: the server renders the form and the map for that address again.
  window.addEventListener("popstate", () => window.location.reload());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  for (const type of ["change", "input"]) {
    form.addEventListener(type, (event) => {
      const timing = filterTiming(event);
      if (!timing) return;
      clearTimeout(typing);
      if (timing === "now") apply();
      else typing = setTimeout(apply, 500);
    });
  }
}

// The counts beside the options depend on the other filters: take the server's new version
// of each facet fieldset ([data-facet], see filter_form.html) from this page's HTML.
function refreshFacets(form, query, previous) {
  if (previous) previous.abort();
  const controller = new AbortController();
  const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
  fetch(url, { signal: controller.signal, credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : null))
    .then((html) => {
      if (html === null) return;
      const page = new DOMParser().parseFromString(html, "text/html");
      const active = document.activeElement;
      const focused = active && active.id && form.contains(active) ? active.id : null;
      for (const fieldset of form.querySelectorAll("[data-facet]")) {
        const replacement = page.querySelector(`[data-facet="${fieldset.dataset.facet}"]`);
        if (replacement) fieldset.replaceWith(document.importNode(replacement, true));
      }
      if (focused && !form.contains(document.activeElement)) {
        document.getElementById(focused)?.focus();
      }
    })
    // Stale counts are better than an error: the markers and the URL are already right.
    .catch(() => {});
  return controller;
}

function updateLinks(config, query) {
  const suffix = query ? `?${query}` : "";
  for (const link of document.querySelectorAll("[data-map-list-link]")) {
    link.href = `${config.listUrl}${suffix}`;
  }
  const unlocated = new URLSearchParams(query);
  unlocated.set("located", "false");
  for (const link of document.querySelectorAll("[data-map-unlocated-link]")) {
    link.href = `${config.listUrl}?${unlocated}`;
  }
  for (const link of document.querySelectorAll("[data-download-link]")) {
    link.href = `${link.dataset.downloadLink}${suffix}`;
  }
  const share = document.querySelector("[data-map-share-link]");
  if (share) share.value = `${config.mapUrl}${suffix}`;
  const code = document.querySelector("[data-map-embed-code]");
  if (code) code.value = iframeCode(`${config.embedUrl}${suffix}`, config.embedTitle);
}

// The same code as map_views.embed_code() writes on the server.
function iframeCode(url, title) {
  return (
    `<iframe src="${escapeAttribute(url)}" title="${escapeAttribute(title)}" ` +
    'width="100%" height="480" loading="lazy"></iframe>'
  );
}

function escapeAttribute(text) {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#x27;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

// "3 outside this view: Québec, Rio Grande do Sul.", with a button that shows them all.
function showOutside(section, outside, text) {
  const paragraph = section.querySelector("[data-map-outside]");
  if (!paragraph || !outside) return;
  paragraph.hidden = outside.count === 0;
  const places = outside.places.join(", ");
  const template = !places ? text.outsideUnnamed : outside.more ? text.outsideElsewhere : text.outside;
  paragraph.querySelector("[data-map-outside-text]").textContent = format(template, {
    count: outside.count,
    places,
  });
}

// What the map shows, as text beside it (under it on a phone): its count, the initiatives
// shown one by one with their links, and each cluster as a button that zooms in on it. So the
// map is never the only way to the results.
function listInView(section, collection, layer, text) {
  const count = section.querySelector("[data-map-in-view-count]");
  const list = section.querySelector("[data-map-in-view-list]");
  const total = collection.total;
  count.textContent =
    total === 0 ? text.noneInView : format(total === 1 ? text.oneInView : text.inView, { count: total });
  showOutside(section, collection.outside, text);
  const points = collection.features.filter((feature) => !feature.properties.cluster);
  const clusters = collection.features.filter((feature) => feature.properties.cluster);
  points.sort((a, b) => a.properties.name.localeCompare(b.properties.name));
  clusters.sort((a, b) => b.properties.count - a.properties.count);
  const items = [];
  for (const feature of points.slice(0, MAX_LISTED)) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = feature.properties.url;
    link.textContent = feature.properties.name;
    item.append(link);
    if (feature.properties.themes.length) {
      item.append(` — ${feature.properties.themes.join(", ")}`);
    }
    items.push(item);
  }
  for (const feature of clusters.slice(0, MAX_LISTED)) {
    const [lng, lat] = feature.geometry.coordinates;
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = format(text.clusterInList, { count: feature.properties.count });
    button.addEventListener("click", () => layer.zoomInto(feature.bbox, [lat, lng]));
    item.append(button);
    items.push(item);
  }
  list.replaceChildren(...items);
}
