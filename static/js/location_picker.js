// The location picker (initiatives/widgets.py), in the initiative admin form and the proposal
// form: a Leaflet map bound to the latitude and longitude inputs, which shows the chosen
// commune, and an offer to use the commune's centre as the point.
import { createMap, format, readConfig } from "./map_common.js";

for (const element of document.querySelectorAll("[data-location-picker]")) {
  if (window.L) start(element);
}

function start(element) {
  const config = readConfig(element.dataset.locationPicker);
  const form = element.closest("form");
  const latitude = form.elements[config.latitudeField];
  const longitude = form.elements[config.longitudeField];
  const commune = form.elements[config.communeField];
  const clear = element.querySelector("[data-location-clear]");
  const useCommune = element.querySelector("[data-location-commune]");
  const status = element.querySelector("[data-location-status]");
  const map = createMap(element.querySelector(".location-picker-map"), config);
  let marker = null;
  let communeCentre = null;

  const typedPoint = () => {
    const lat = parseCoordinate(latitude.value);
    const lng = parseCoordinate(longitude.value);
    if (lat === null || lng === null || Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
    return L.latLng(lat, lng);
  };

  const place = (latlng) => {
    if (!latlng) {
      if (marker) marker.remove();
      marker = null;
      return;
    }
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", () => write(marker.getLatLng()));
    } else {
      marker.setLatLng(latlng);
    }
  };

  const write = (latlng) => {
    const wrapped = latlng.wrap();
    latitude.value = wrapped.lat.toFixed(6);
    longitude.value = wrapped.lng.toFixed(6);
    place(wrapped);
    offerCommuneCentre();
  };

  // Farther than this from the commune's centre, the point is probably wrong (as
  // Initiative.point_far_from_commune on the server).
  let warned = false;
  const warnIfFar = () => {
    const point = typedPoint();
    const kilometres =
      point && communeCentre
        ? point.distanceTo([communeCentre.latitude, communeCentre.longitude]) / 1000
        : 0;
    if (kilometres > config.farFromCommuneKm) {
      status.textContent = format(config.text.far, {
        distance: Math.round(kilometres),
        name: communeCentre.name,
      });
      warned = true;
    } else if (warned) {
      status.textContent = "";
      warned = false;
    }
  };

  const offerCommuneCentre = () => {
    warnIfFar();
    const show = Boolean(communeCentre) && typedPoint() === null;
    useCommune.hidden = !show;
    if (show) {
      const { name, latitude, longitude } = communeCentre;
      useCommune.textContent = format(config.text.useCommune, { name, latitude, longitude });
    }
  };

  const loadCommuneCentre = async () => {
    communeCentre = null;
    const id = commune && commune.value;
    if (id) {
      try {
        const response = await fetch(config.communeCentreUrl.replace("{id}", id), {
          headers: { Accept: "application/json" },
        });
        const body = await response.json();
        if (response.ok && body.latitude !== null && body.longitude !== null) {
          communeCentre = body;
          // The map shows the chosen commune, with the point if there is one.
          const centre = L.latLng(body.latitude, body.longitude);
          const point = typedPoint();
          if (point === null) map.setView(centre, 13);
          else map.fitBounds(L.latLngBounds([centre, point]), { padding: [30, 30], maxZoom: 13 });
        }
        status.textContent = "";
      } catch {
        status.textContent = config.text.failed;
      }
    }
    offerCommuneCentre();
  };

  map.on("click", (event) => write(event.latlng));
  for (const input of [latitude, longitude]) {
    input.addEventListener("input", () => {
      const point = typedPoint();
      place(point);
      if (point) map.panTo(point);
      offerCommuneCentre();
    });
  }
  clear.addEventListener("click", () => {
    latitude.value = "";
    longitude.value = "";
    place(null);
    offerCommuneCentre();
  });
  useCommune.addEventListener("click", () => {
    if (!communeCentre) return;
    const point = L.latLng(communeCentre.latitude, communeCentre.longitude);
    write(point);
    map.setView(point, 13);
  });
  if (commune) {
    // The admin's autocomplete (select2) announces changes through jQuery only.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(commune).on("change", loadCommuneCentre);
    } else {
      commune.addEventListener("change", loadCommuneCentre);
    }
  }

  const initial = typedPoint();
  if (initial) {
    place(initial);
    map.setView(initial, 13);
  }
  loadCommuneCentre();
}

function parseCoordinate(text) {
  const value = Number.parseFloat(String(text).trim().replace(",", "."));
  return Number.isFinite(value) ? value : null;
}
