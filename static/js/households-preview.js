// The houses of a checked household file (templates/admin/household_preview.html) on the map
// over the village outlines, each with its number and village, before anything is stored.
(function () {
  "use strict";
  const { _ } = window.mapdash;
  const box = document.getElementById("household-preview");
  const data = document.getElementById("household-preview-data");
  if (!box || !data) return;
  const map = window[box.dataset.map];
  const collection = JSON.parse(data.textContent);
  map.fitBounds(JSON.parse(box.dataset.bounds), { animate: false });

  fetch(box.dataset.villagesUrl, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((villages) => {
      if (!villages) return;
      L.geoJSON(villages, {
        style: () => ({ color: "#1d4ed8", weight: 2, fillOpacity: 0.05, interactive: false }),
      }).addTo(map).bringToBack();
    })
    .catch(() => {});

  const points = L.geoJSON(collection, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
      radius: 5, color: "#92400e", weight: 1, fillColor: "#f59e0b", fillOpacity: 0.9 }),
    onEachFeature: (feature, marker) => {
      const p = feature.properties;
      marker.bindTooltip(_("House number %(house)s, village %(village)s",
                           { house: p.house_number, village: p.village }));
    },
  }).addTo(map);
  if (collection.features.length) map.fitBounds(points.getBounds(), { animate: false, maxZoom: 17 });
  box.dataset.loaded = String(collection.features.length);
})();
