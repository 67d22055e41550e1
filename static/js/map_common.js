// What every Essaim map shares: options read from a json_script block (built from
// LEAFLET_CONFIG on the server), the tile layers, and the coloured dot of an initiative.
// Leaflet itself is django-leaflet's, loaded as the global `L` before these modules run.

export function readConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

export function createMap(element, config, options = {}) {
  const map = L.map(element, {
    center: config.center,
    zoom: config.zoom,
    minZoom: config.minZoom,
    maxZoom: config.maxZoom,
    // Markers live between longitudes -180 and 180: keep the view on that copy of the world.
    worldCopyJump: true,
    ...options,
  });
  if (config.attributionPrefix) {
    map.attributionControl.setPrefix(config.attributionPrefix);
  }
  const layers = {};
  config.tiles.forEach((tiles, index) => {
    // Without network the tiles fail quietly and the markers stay on a blank background.
    const layer = L.tileLayer(tiles.url, tiles.options);
    if (index === 0) layer.addTo(map);
    layers[tiles.label] = layer;
  });
  if (config.tiles.length > 1) L.control.layers(layers).addTo(map);
  return map;
}

// Fill the %(name)s placeholders of a text translated on the server (gettext's format).
export function format(text, values) {
  return text.replace(/%\((\w+)\)s/g, (match, name) =>
    name in values ? String(values[name]) : match,
  );
}

export function dot(color) {
  const element = document.createElement("span");
  element.className = "map-dot";
  // Set through the CSSOM, which a strict Content-Security-Policy allows.
  element.style.backgroundColor = color;
  return element;
}

export function visuallyHidden(text) {
  const element = document.createElement("span");
  element.className = "visually-hidden";
  element.textContent = text;
  return element;
}
