// The villages of a checked upload (templates/admin/village_preview.html) on the map, each
// labelled with its number, before anything is stored.
(function () {
  "use strict";
  const { pgettext } = window.mapdash;
  const box = document.getElementById("village-preview");
  const data = document.getElementById("village-preview-data");
  if (!box || !data) return;
  const map = window[box.dataset.map];
  const collection = JSON.parse(data.textContent);
  const layer = L.geoJSON(collection, {
    style: () => ({ color: "#1d4ed8", weight: 2, fillColor: "#60a5fa", fillOpacity: 0.35 }),
    onEachFeature: (feature, polygon) => {
      const p = feature.properties;
      polygon.bindTooltip(`${p.number}`, { permanent: true, direction: "center", className: "count-label" });
      const popup = document.createElement("div");
      popup.textContent = `${pgettext("track.village_no", "Village")} ${p.number} ${p.name_th}`;
      polygon.bindPopup(popup);
    },
  }).addTo(map);
  if (collection.features.length) map.fitBounds(layer.getBounds(), { animate: false });
  box.dataset.loaded = String(collection.features.length);
})();
