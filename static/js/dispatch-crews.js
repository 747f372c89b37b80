// The crews on the dispatcher's map: each crew member's last shared position, coloured by
// how old it is (fresh ≤ 5 min, stale ≤ 30 min, offline beyond: mapdash/field/positions.py),
// with their name, when it was sent and their open cases in the popup. Refreshed every 30 s;
// a box on the map shows or hides them and explains the colours.
(function () {
  "use strict";
  const { _ } = window.mapdash;
  const root = document.getElementById("dispatch");
  if (!root) return;
  const map = window[root.dataset.map];
  const url = JSON.parse(root.dataset.urls).crews;
  const lang = root.dataset.lang;
  const REFRESH_MS = 30000;
  const FRESHNESS = { fresh: _("Fresh"), stale: _("Stale"), offline: _("Offline") };
  // Above the village labels and case markers, below tooltips and popups.
  map.createPane("crews").style.zIndex = 640;
  const layer = L.layerGroup().addTo(map);
  const NAMES_FROM_ZOOM = 14;  // names beside the pins once zoomed in; on hover before
  let shown = null;            // the last collection drawn

  const dateFormat = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "th-TH-u-ca-buddhist", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Asia/Bangkok" });

  function ageLabel(seconds) {  // the words of the case list's ages (dispatch.js)
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return _("under 1 min");
    if (minutes < 60) return _("%(n)s min", { n: minutes });
    const hours = Math.round(minutes / 60);
    if (hours < 48) return _("%(n)s h", { n: hours });
    return _("%(n)s d", { n: Math.round(hours / 24) });
  }

  function line(className, text) {
    const p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    return p;
  }

  function popup(feature) {
    const p = feature.properties;
    const box = document.createElement("div");
    box.className = "crew-position-popup";
    const title = line("crew-name", p.name);
    const department = lang === "en" && p.department_en ? p.department_en : p.department_th;
    box.append(title);
    if (department) box.append(line("muted", department));
    const state = line(`crew-freshness freshness-${p.freshness}`,
                       `${FRESHNESS[p.freshness]} · ${_("%(age)s ago", { age: ageLabel(p.age_s) })}`);
    box.append(state,
      line("", _("Position sent at %(time)s", { time: dateFormat.format(new Date(p.recorded_at)) })),
      line("muted", _("Accurate to about %(n)s m", { n: p.accuracy_m })),
      line("", _("Open cases: %(n)s", { n: p.open_cases })));
    return box;
  }

  function initials(name) {
    const letters = (name || "").split(/\s+/).map((word) => (word.match(/\p{L}/u) || [""])[0]);
    return letters.filter(Boolean).slice(0, 2).join("").toUpperCase() || "?";
  }

  function draw(collection) {
    shown = collection;
    // New data must not close the popup the dispatcher is reading.
    const open = layer.getLayers().find((marker) => marker.isPopupOpen());
    const openId = open ? open.options.crewId : null;
    layer.clearLayers();
    collection.features.forEach((feature) => {
      const [lon, lat] = feature.geometry.coordinates;
      const p = feature.properties;
      const icon = L.divIcon({ className: `crew-pin crew-${p.freshness}`, html: "",
                               iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14] });
      const marker = L.marker([lat, lon], { icon, title: p.name, pane: "crews",
                                            keyboard: true, alt: p.name, crewId: feature.id });
      marker.on("add", () => {
        const element = marker.getElement();
        element.textContent = initials(p.name);
        element.dataset.crew = feature.id;
      });
      marker.bindPopup(() => popup(feature), { className: "crew-popup-box", maxWidth: 260 });
      marker.bindTooltip(p.name, { direction: "right", offset: [14, 0], className: "crew-label",
                                   permanent: map.getZoom() >= NAMES_FROM_ZOOM });
      marker.addTo(layer);
      if (feature.id === openId) marker.openPopup();
    });
    const label = document.getElementById("crew-layer-count");
    if (label) label.textContent = `(${collection.features.length})`;
  }

  let namesShown = map.getZoom() >= NAMES_FROM_ZOOM;
  map.on("zoomend", () => {
    const wanted = map.getZoom() >= NAMES_FROM_ZOOM;
    if (wanted !== namesShown && shown) draw(shown);
    namesShown = wanted;
  });

  function load() {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((collection) => { if (collection) draw(collection); })
      .catch(() => {});
  }

  const control = L.control({ position: "topright" });
  control.onAdd = () => {
    const box = L.DomUtil.create("div", "crew-layer-box");
    L.DomEvent.disableClickPropagation(box);
    const toggle = L.DomUtil.create("label", "crew-layer-toggle", box);
    const input = L.DomUtil.create("input", "", toggle);
    input.type = "checkbox";
    input.checked = true;
    input.id = "crew-layer";
    toggle.append(` ${_("Crews")} `);
    const number = L.DomUtil.create("span", "", toggle);
    number.id = "crew-layer-count";
    input.addEventListener("change", () => {
      if (input.checked) layer.addTo(map); else layer.remove();
    });
    ["fresh", "stale", "offline"].forEach((kind) => {
      const item = L.DomUtil.create("div", "crew-key", box);
      L.DomUtil.create("i", `crew-key-dot crew-${kind}`, item);
      item.append(kind === "fresh" ? _("Fresh: up to 5 min") : kind === "stale"
        ? _("Stale: up to 30 min") : _("Offline: older"));
    });
    return box;
  };
  control.addTo(map);

  load();
  setInterval(() => { if (!document.hidden) load(); }, REFRESH_MS);
})();
