// Households on the dispatcher's map (mapdash/households/layer.py): a box at the map's corner
// shows or hides them (hidden at first: they are many). Loaded from the staff-only GeoJSON
// endpoint for the view only, from HOUSES_FROM_ZOOM on, at most the endpoint's cap; again
// after each move while shown.
(function () {
  "use strict";
  const { _ } = window.mapdash;
  const root = document.getElementById("dispatch");
  if (!root) return;
  const map = window[root.dataset.map];
  const url = JSON.parse(root.dataset.urls).households;
  if (!url) return;
  const lang = root.dataset.lang;
  const HOUSES_FROM_ZOOM = 15;
  // Under the case markers: houses are the background the cases sit on.
  map.createPane("households").style.zIndex = 420;
  const layer = L.layerGroup();
  let shown = false;
  let request = 0;
  let note = null;

  function say(text) { if (note) note.textContent = text; }

  function draw(collection) {
    layer.clearLayers();
    collection.features.forEach((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      const p = feature.properties;
      const village = lang === "en" && p.village_en ? p.village_en : p.village_th;
      L.circleMarker([lat, lon], { pane: "households", radius: 4, color: "#92400e", weight: 1,
                                   fillColor: "#f59e0b", fillOpacity: 0.85 })
        .bindTooltip(_("House number %(house)s, village %(village)s %(name)s",
                       { house: p.house_number, village: p.village, name: village }))
        .addTo(layer);
    });
    say(collection.capped
      ? _("The first %(n)s houses: zoom in for all", { n: collection.features.length })
      : _("%(n)s houses in view", { n: collection.features.length }));
  }

  function load() {
    if (!shown) return;
    if (map.getZoom() < HOUSES_FROM_ZOOM) {
      layer.clearLayers();
      say(_("Zoom in to see the houses"));
      return;
    }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const mine = ++request;
    fetch(`${url}?bbox=${bbox}`, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((collection) => { if (collection && mine === request && shown) draw(collection); })
      .catch(() => {});
  }

  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = L.DomUtil.create("div", "household-layer-box");
    L.DomEvent.disableClickPropagation(box);
    const toggle = L.DomUtil.create("label", "", box);
    const input = L.DomUtil.create("input", "", toggle);
    input.type = "checkbox";
    input.id = "household-layer";
    toggle.append(` ${_("Households")}`);
    note = L.DomUtil.create("p", "layer-note", box);
    note.id = "household-layer-note";
    note.hidden = true;
    input.addEventListener("change", () => {
      shown = input.checked;
      note.hidden = !shown;
      if (shown) { layer.addTo(map); load(); } else { layer.remove(); layer.clearLayers(); }
    });
    return box;
  };
  control.addTo(map);
  map.on("moveend", load);
})();
