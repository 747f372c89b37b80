// The staff's household map (templates/households/editor.html, views/households.py): the
// houses in view from HOUSES_FROM_ZOOM on; tap one to renumber, move (drag) or delete it;
// "Add a house" then a tap on the map adds one there. The server decides everything (the
// village is the one the place lies in; a number is unique in its village) and its refusal
// is shown as it words it.
(function () {
  "use strict";
  const { _ } = window.mapdash;
  const root = document.getElementById("household-editor");
  if (!root) return;
  const map = window[root.dataset.map];
  const urls = JSON.parse(root.dataset.urls);
  const lang = root.dataset.lang;
  const csrf = root.dataset.csrf;
  const status = document.getElementById("editor-status");
  const addButton = document.getElementById("add-household");
  const mapBox = root.querySelector(".editor-map");
  const HOUSES_FROM_ZOOM = 15;
  const NUMBERS_FROM_ZOOM = 17;
  const layer = L.layerGroup().addTo(map);
  const markers = new Map();  // household id -> marker
  let adding = false;
  let request = 0;

  map.fitBounds(JSON.parse(root.dataset.bounds), { animate: false });

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function refusal(body) {
    if (body && body.message_th) return lang === "en" ? body.message_en : body.message_th;
    return _("That did not work: please try again");
  }

  async function post(url, fields) {
    const body = new FormData();
    Object.entries(fields).forEach(([name, value]) => body.append(name, value));
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf } });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Error(refusal(answer));
    return answer;
  }

  const idUrl = (template, id) => template.replace(/\/0(\/|$)/, `/${id}$1`);

  function label(feature) {
    const p = feature.properties;
    const name = lang === "en" && p.village_en ? p.village_en : p.village_th;
    return _("House number %(house)s, village %(village)s %(name)s",
             { house: p.house_number, village: p.village, name });
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function numberField(value) {
    const field = element("label", "", _("House number"));
    const input = element("input");
    input.name = "house_number";
    input.maxLength = 20;
    input.autocomplete = "off";
    input.value = value || "";
    field.append(input);
    return [field, input];
  }

  function popupFor(marker) {
    const feature = marker.feature;
    const box = element("div", "house-popup");
    box.append(element("p", "house-title", label(feature)));
    const [field, input] = numberField(feature.properties.house_number);
    const error = element("p", "popup-error");
    const buttons = element("div", "popup-buttons");
    const save = element("button", "primary", _("Save number"));
    const move = element("button", "", _("Move"));
    const remove = element("button", "danger", _("Delete"));
    [save, move, remove].forEach((button) => { button.type = "button"; });
    buttons.append(save, move, remove);
    box.append(field, buttons, error);
    save.addEventListener("click", () => {
      post(idUrl(urls.change, feature.id), { house_number: input.value })
        .then((changed) => { update(marker, changed); say(_("Saved: %(house)s", { house: label(changed) })); })
        .catch((failure) => { error.textContent = failure.message; });
    });
    move.addEventListener("click", () => {
      marker.closePopup();
      marker.dragging.enable();
      marker.getElement().classList.add("moving");
      say(_("Drag house number %(house)s to its place", { house: feature.properties.house_number }));
    });
    remove.addEventListener("click", () => {
      if (!window.confirm(_("Delete house number %(house)s? Its QR sticker will stop working.",
                            { house: feature.properties.house_number }))) return;
      post(idUrl(urls.delete, feature.id), {})
        .then(() => {
          layer.removeLayer(marker);
          markers.delete(feature.id);
          say(_("Deleted: %(house)s", { house: label(feature) }));
        })
        .catch((failure) => { error.textContent = failure.message; });
    });
    return box;
  }

  function icon() {
    return L.divIcon({ className: "house-dot", iconSize: [14, 14], iconAnchor: [7, 7], popupAnchor: [0, -6] });
  }

  function update(marker, feature) {
    marker.feature = feature;
    const [lon, lat] = feature.geometry.coordinates;
    marker.setLatLng([lat, lon]);
    marker.setTooltipContent(feature.properties.house_number);
  }

  function place(feature) {
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.marker([lat, lon], { icon: icon(), draggable: false, keyboard: true,
                                          title: label(feature), alt: label(feature) });
    marker.feature = feature;
    marker.bindPopup(() => popupFor(marker), { maxWidth: 260 });
    marker.bindTooltip(feature.properties.house_number, { direction: "right", offset: [8, 0],
      className: "house-label", permanent: map.getZoom() >= NUMBERS_FROM_ZOOM });
    marker.on("add", () => { marker.getElement().dataset.household = feature.id; });
    marker.on("dragend", () => {
      const at = marker.getLatLng();
      marker.dragging.disable();
      marker.getElement().classList.remove("moving");
      const { coordinates } = marker.feature.geometry;
      post(idUrl(urls.change, feature.id), { lon: at.lng.toFixed(7), lat: at.lat.toFixed(7) })
        .then((moved) => { update(marker, moved); say(_("Moved: %(house)s", { house: label(moved) })); })
        .catch((failure) => { marker.setLatLng([coordinates[1], coordinates[0]]); say(failure.message, true); });
    });
    marker.addTo(layer);
    markers.set(feature.id, marker);
    return marker;
  }

  function load() {
    if (map.getZoom() < HOUSES_FROM_ZOOM) {
      layer.clearLayers();
      markers.clear();
      say(_("Zoom in to see the houses"));
      return;
    }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    const mine = ++request;
    fetch(`${urls.layer}?bbox=${bbox}`, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((collection) => {
        if (!collection || mine !== request) return;
        // A house being moved or with its popup open stays as it is.
        const busy = [...markers.values()].filter((m) => m.isPopupOpen() || m.dragging.enabled());
        layer.clearLayers();
        markers.clear();
        busy.forEach((m) => { m.addTo(layer); markers.set(m.feature.id, m); });
        collection.features.filter((f) => !markers.has(f.id)).forEach(place);
        root.dataset.loaded = String(collection.features.length);
        if (!adding) {
          say(collection.capped
            ? _("The first %(n)s houses: zoom in for all", { n: collection.features.length })
            : _("%(n)s houses in view", { n: collection.features.length }));
        }
      })
      .catch(() => say(_("The houses could not be loaded: check the connection"), true));
  }

  function addPopup(latlng) {
    const box = element("div", "house-popup");
    box.append(element("p", "house-title", _("New house here")));
    const [field, input] = numberField("");
    const error = element("p", "popup-error");
    const buttons = element("div", "popup-buttons");
    const add = element("button", "primary", _("Add"));
    add.type = "submit";
    buttons.append(add);
    const form = element("form");
    form.append(field, buttons, error);
    box.append(form);
    const popup = L.popup({ maxWidth: 260 }).setLatLng(latlng).setContent(box).openOn(map);
    input.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      post(urls.add, { house_number: input.value, lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7) })
        .then((feature) => {
          popup.remove();
          place(feature);
          say(_("Added: %(house)s", { house: label(feature) }));
        })
        .catch((failure) => { error.textContent = failure.message; });
    });
  }

  function setAdding(on) {
    adding = on;
    addButton.setAttribute("aria-pressed", String(on));
    addButton.textContent = on ? _("Done adding") : _("Add a house");
    mapBox.classList.toggle("adding", on);
    say(on ? _("Tap the map where the house is") : "");
  }

  fetch(urls.villages, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((villages) => {
      if (!villages) return;
      L.geoJSON(villages, {
        style: () => ({ color: "#1d4ed8", weight: 2, fillOpacity: 0.04 }),
        interactive: false,
      }).addTo(map).bringToBack();
    })
    .catch(() => {});

  addButton.addEventListener("click", () => setAdding(!adding));
  map.on("click", (event) => { if (adding) addPopup(event.latlng); });
  map.on("moveend", load);
  map.on("zoomend", () => {
    const permanent = map.getZoom() >= NUMBERS_FROM_ZOOM;
    markers.forEach((marker) => {
      const tip = marker.getTooltip();
      if (tip && tip.options.permanent !== permanent) {
        marker.unbindTooltip();
        marker.bindTooltip(marker.feature.properties.house_number, { direction: "right",
          offset: [8, 0], className: "house-label", permanent });
      }
    });
  });
  load();
})();
