// The public map of cases: our own GeoJSON (villages and cases), so it says something even
// when map tiles cannot load. Text goes in through textContent only: case data is never HTML.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const box = document.getElementById("cases-map");
  if (!box) return;
  const map = window[box.dataset.map];
  const statusLabels = JSON.parse(box.dataset.statusLabels);
  const lang = box.dataset.lang;
  map.fitBounds(JSON.parse(box.dataset.bounds), { animate: false });
  map.attributionControl.setPrefix(false); // room for the scale on a phone

  fetch(box.dataset.villagesUrl).then((r) => r.json()).then((villages) => {
    L.geoJSON(villages, {
      interactive: false,
      style: { color: "#334155", weight: 1.2, fillColor: "#e2e8f0", fillOpacity: 0.35 },
    }).addTo(map);
  });

  function popup(p) {
    const node = document.createElement("div");
    node.className = "case-popup";
    const title = document.createElement("strong");
    title.textContent = lang === "en" ? p.category_en : p.category_th;
    const village = p.village_number
      ? `${pgettext("track.village_no", "Village")} ${p.village_number} ${lang === "en" && p.village_en ? p.village_en : p.village_th}` : "";
    const line = document.createElement("span");
    line.textContent = `${p.code} · ${village} · ${statusLabels[p.status] || p.status}`;
    const link = document.createElement("a");
    link.href = `/track/${encodeURIComponent(p.code)}`;
    link.textContent = _("Details");
    node.append(title, line, document.createElement("br"), link);
    return node;
  }

  fetch(box.dataset.url, { headers: { Accept: "application/geo+json" } })
    .then((r) => r.json())
    .then((collection) => {
      const cluster = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false });
      L.geoJSON(collection, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: 8, weight: 2, color: "#fff", fillColor: feature.properties.color, fillOpacity: 0.95,
        }),
        onEachFeature: (feature, layer) => layer.bindPopup(popup(feature.properties)),
      }).eachLayer((layer) => cluster.addLayer(layer));
      map.addLayer(cluster);
      if (collection.truncated) document.getElementById("map-note").textContent = _("The map shows the newest 2,000 cases only");
      box.dataset.loaded = String(collection.features.length);
    });
})();
