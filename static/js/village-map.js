// Villages shaded by their number of open cases, drawn from our own GeoJSON so the map
// still says something when map tiles cannot be loaded.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const box = document.getElementById("village-map");
  if (!box) return;
  const map = window[box.dataset.map];
  const lang = box.dataset.lang;
  map.fitBounds(JSON.parse(box.dataset.bounds));

  function shade(count, max) {
    if (!count) return "#e2e8f0";
    const strength = 0.25 + 0.75 * (count / Math.max(max, 1));
    return `rgba(220, 38, 38, ${strength.toFixed(2)})`;
  }

  fetch(box.dataset.villagesUrl, { headers: { Accept: "application/geo+json" } })
    .then((response) => response.json())
    .then((collection) => {
      const max = Math.max(0, ...collection.features.map((f) => f.properties.open_cases));
      const layer = L.geoJSON(collection, {
        style: (feature) => ({
          color: "#334155", weight: 1.5, fillOpacity: 0.55,
          fillColor: shade(feature.properties.open_cases, max),
        }),
        onEachFeature: (feature, polygon) => {
          const p = feature.properties;
          const name = lang === "en" && p.name_en ? p.name_en : p.name_th;
          const label = `${pgettext("track.village_no", "Village")} ${p.number} ${name}`;
          polygon.bindTooltip(`${p.open_cases}`, { permanent: true, direction: "center", className: "count-label" });
          const popup = document.createElement("div");
          popup.textContent = `${label}: ${p.open_cases} ${_("open cases")}`;
          polygon.bindPopup(popup);
        },
      }).addTo(map);
      if (collection.features.length) map.fitBounds(layer.getBounds());
      box.dataset.loaded = String(collection.features.length);
    });
})();
