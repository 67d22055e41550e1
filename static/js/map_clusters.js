// The initiatives of the current view, clustered by the server (/api/map/): clusters as
// numbered divIcons that zoom in on click, initiatives as coloured dots with a popup. Several
// initiatives at one point share one marker whose popup lists them all.
import { dot, format, visuallyHidden } from "./map_common.js";

const WORLD = [-180, -90, 180, 90];

export class ClusterLayer {
  constructor(map, config, { onData = () => {}, onError = () => {} } = {}) {
    this.map = map;
    this.config = config;
    this.onData = onData;
    this.onError = onError;
    this.params = new URLSearchParams();
    this.group = L.layerGroup().addTo(map);
    this.markers = new Map();
    this.timer = null;
    this.controller = null;
    map.on("moveend", () => this.schedule());
  }

  setParams(params) {
    this.params = new URLSearchParams(params);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 120);
  }

  url(bbox, zoom) {
    const query = new URLSearchParams(this.params);
    query.set("bbox", bbox.join(","));
    query.set("zoom", String(zoom));
    return `${this.config.dataUrl}?${query}`;
  }

  async load(bbox, zoom) {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const response = await fetch(this.url(bbox, zoom), {
        signal: controller.signal,
        headers: { Accept: "application/geo+json" },
      });
      const body = await response.json();
      if (!response.ok) {
        this.onError(body);
        return null;
      }
      return body;
    } catch (error) {
      if (error.name !== "AbortError") this.onError(null);
      return null;
    }
  }

  async refresh() {
    const zoom = Math.round(this.map.getZoom());
    const collection = await this.load(requestBbox(this.map), zoom);
    if (collection) {
      this.render(collection);
      this.onData(collection);
    }
  }

  // Open the map on all the matching initiatives (e.g. those of a territory).
  async fitToResults(fallbackCenter = null) {
    const collection = await this.load(WORLD, 0);
    if (collection && collection.bbox) {
      const [west, south, east, north] = collection.bbox;
      this.map.fitBounds(
        [
          [south, west],
          [north, east],
        ],
        { padding: [30, 30], maxZoom: 12, animate: false },
      );
    } else if (fallbackCenter) {
      this.map.setView(fallbackCenter, 9, { animate: false });
    }
    this.schedule();
  }

  render(collection) {
    const next = new Map();
    const places = new Map();
    for (const feature of collection.features) {
      const [lng, lat] = feature.geometry.coordinates;
      if (feature.properties.cluster) {
        next.set(`c:${lng},${lat}:${feature.properties.count}`, () => this.clusterMarker(feature));
      } else {
        const place = `${lng},${lat}`;
        if (!places.has(place)) places.set(place, []);
        places.get(place).push(feature);
      }
    }
    for (const [place, features] of places) {
      const key = `p:${place}:${features.map((feature) => feature.id).join(",")}`;
      next.set(key, () => this.placeMarker(features));
    }
    // Keep the markers that did not change, so that an open popup stays open.
    for (const [key, marker] of this.markers) {
      if (!next.has(key)) {
        this.group.removeLayer(marker);
        this.markers.delete(key);
      }
    }
    for (const [key, make] of next) {
      if (!this.markers.has(key)) {
        const marker = make();
        this.markers.set(key, marker);
        this.group.addLayer(marker);
      }
    }
  }

  clusterMarker(feature) {
    const [lng, lat] = feature.geometry.coordinates;
    const count = feature.properties.count;
    const size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    const pixels = { small: 34, medium: 42, large: 52 }[size];
    const title = format(this.config.text.cluster, { count });
    const label = document.createElement("span");
    const number = document.createElement("span");
    number.textContent = count;
    number.setAttribute("aria-hidden", "true");
    label.append(number, visuallyHidden(title));
    const icon = L.divIcon({
      html: label,
      className: `map-cluster map-cluster--${size}`,
      iconSize: [pixels, pixels],
    });
    const marker = L.marker([lat, lng], { icon, title });
    marker.on("click", () => this.zoomInto(feature.bbox, [lat, lng]));
    // Leaflet makes the icon focusable; Enter and Space zoom in, as a click does.
    marker.on("add", () => {
      const element = marker.getElement();
      element.setAttribute("role", "button");
      element.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        this.zoomInto(feature.bbox, [lat, lng]);
      });
    });
    return marker;
  }

  zoomInto(bbox, center) {
    const map = this.map;
    let bounds = L.latLngBounds([center, center]);
    if (bbox) {
      const [west, south, east, north] = bbox;
      bounds = L.latLngBounds([south, west], [north, east]);
    }
    // At least one level deeper, so that a click always makes progress.
    const zoom = Math.min(
      Math.max(map.getBoundsZoom(bounds, false, L.point(60, 60)), map.getZoom() + 1),
      map.getMaxZoom(),
    );
    map.setView(bounds.getCenter(), zoom);
  }

  placeMarker(features) {
    const [lng, lat] = features[0].geometry.coordinates;
    const text = this.config.text;
    const dotElement = dot(features[0].properties.color);
    const title =
      features.length === 1
        ? features[0].properties.name
        : format(text.atThisPlace, { count: features.length });
    if (features.length > 1) {
      const badge = document.createElement("span");
      badge.className = "map-dot-count";
      badge.textContent = features.length;
      dotElement.append(badge);
    }
    dotElement.append(visuallyHidden(title));
    const icon = L.divIcon({ html: dotElement, className: "map-marker", iconSize: [22, 22] });
    const marker = L.marker([lat, lng], { icon, title, riseOnHover: true });
    // Clear of the zoom buttons (top left), even on a phone.
    marker.bindPopup(() => this.popup(features), {
      maxHeight: 320,
      minWidth: 220,
      autoPanPaddingTopLeft: L.point(56, 90),
    });
    // The popup's first link takes the focus, so that the keyboard reaches it at once; Escape
    // closes it (Leaflet listens only while the map itself has the focus) and the focus goes
    // back to the marker.
    marker.on("popupopen", (event) => {
      const element = event.popup.getElement();
      element?.addEventListener("keydown", (keydown) => {
        if (keydown.key === "Escape") marker.closePopup();
      });
      element?.querySelector("a")?.focus();
    });
    marker.on("popupclose", (event) => {
      // The popup has the focus, or had it and took it away with it.
      const focused = document.activeElement;
      if (focused === document.body || event.popup.getElement()?.contains(focused)) {
        marker.getElement()?.focus();
      }
    });
    return marker;
  }

  popup(features) {
    const container = document.createElement("div");
    container.className = "map-popup";
    if (features.length > 1) {
      const heading = document.createElement("p");
      heading.className = "map-popup-heading";
      heading.textContent = format(this.config.text.atThisPlace, { count: features.length });
      container.append(heading);
    }
    for (const feature of features) {
      const properties = feature.properties;
      const item = document.createElement("article");
      const title = document.createElement("h3");
      const link = document.createElement("a");
      link.href = properties.url;
      link.textContent = properties.name;
      if (this.config.embed) {
        link.target = "_blank";
        link.rel = "noopener";
      }
      title.append(link);
      item.append(title);
      if (properties.summary) {
        const summary = document.createElement("p");
        summary.textContent = properties.summary;
        item.append(summary);
      }
      if (properties.themes.length) {
        const themes = document.createElement("p");
        themes.className = "map-popup-themes";
        themes.textContent = properties.themes.join(" · ");
        item.append(themes);
      }
      container.append(item);
    }
    return container;
  }
}

// The view as /api/map/ wants it: longitudes within [-180, 180] (west > east when the view
// crosses longitude 180), latitudes within [-90, 90], rounded outwards.
export function requestBbox(map) {
  const bounds = map.getBounds();
  let west = bounds.getWest();
  let east = bounds.getEast();
  if (east - west >= 360) {
    west = -180;
    east = 180;
  } else {
    west = wrapLongitude(west);
    east = wrapLongitude(east);
  }
  const south = Math.max(-90, bounds.getSouth());
  const north = Math.min(90, bounds.getNorth());
  const down = (value, low) => Math.max(low, Math.floor(value * 1e4) / 1e4);
  const up = (value, high) => Math.min(high, Math.ceil(value * 1e4) / 1e4);
  return [down(west, -180), down(south, -90), up(east, 180), up(north, 90)];
}

function wrapLongitude(longitude) {
  if (longitude >= -180 && longitude <= 180) return longitude;
  return ((((longitude + 180) % 360) + 360) % 360) - 180;
}
