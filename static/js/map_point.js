// The small map of an initiative's page: its point, nothing else.
import { createMap, dot, readConfig } from "./map_common.js";

const element = document.querySelector("[data-point-map]");
if (element && window.L) {
  const config = readConfig(element.dataset.pointMap);
  const map = createMap(element, config, { center: config.point, zoom: 13, scrollWheelZoom: false });
  const icon = L.divIcon({ html: dot(config.color), className: "map-marker", iconSize: [22, 22] });
  L.marker(config.point, { icon, title: config.name, keyboard: false }).addTo(map);
}
