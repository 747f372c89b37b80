// The staff intake form (templates/office/intake.html): a click on the map places the pin
// and fills the coordinates; typed coordinates move the pin; "remove" leaves only the village.
(function () {
  "use strict";
  const box = document.getElementById("intake-map");
  const map = window[box.dataset.map];
  const lat = document.getElementById("lat");
  const lon = document.getElementById("lon");
  let pin = null;
  map.options.zoomSnap = 0.25;  // the whole tambon fills the map, not a third of it
  map.fitBounds(JSON.parse(box.dataset.bounds), { animate: false });
  // The villages, numbered, so the place a caller describes can be found without tiles.
  fetch(box.dataset.villagesUrl).then((r) => r.json()).then((villages) => {
    L.geoJSON(villages, {
      interactive: false,
      style: { color: "#1e3a8a", weight: 1.5, fillColor: "#93c5fd", fillOpacity: 0.12 },
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(window.mapdash.pgettext("map label", "V. %(n)s", { n: feature.properties.number }),
          { permanent: true, direction: "center", className: "village-label" });
      },
    }).addTo(map);
    box.dataset.loaded = String(villages.features.length);
  });

  function place(latitude, longitude) {
    if (pin) pin.setLatLng([latitude, longitude]);
    else pin = L.marker([latitude, longitude], { draggable: true }).addTo(map);
    pin.off("dragend").on("dragend", () => {
      const at = pin.getLatLng();
      lat.value = at.lat.toFixed(6);
      lon.value = at.lng.toFixed(6);
    });
  }
  map.on("click", (event) => {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    place(event.latlng.lat, event.latlng.lng);
  });
  function fromInputs() {
    const a = Number(lat.value);
    const b = Number(lon.value);
    if (lat.value && lon.value && Number.isFinite(a) && Number.isFinite(b)) place(a, b);
  }
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);
  document.getElementById("clear-pin").addEventListener("click", () => {
    lat.value = "";
    lon.value = "";
    if (pin) { pin.remove(); pin = null; }
  });
  fromInputs();
  const error = document.getElementById("form-error");
  if (error) error.focus();
})();
