// The dispatcher's live map (templates/dispatch/index.html). Zoomed out: villages shaded by
// their open cases, with the count on each. Zoomed in: each case, icon by type, colour by
// status, a red ring when overdue, clustered where they crowd; where even that is too many,
// the server's vector tiles: each tile's cases as dots, or counted per grid cell where they
// crowd (maps/tiles.py, drawn by Leaflet.VectorGrid). The list beside the map shows the cases
// in view; clicking a row flies there.
// The server pushes what changed (a stream of server-sent events) and the page redraws when
// something did; while the stream is down it asks every few seconds instead, and tries the
// stream again.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const CASE_ZOOM = 14;       // from here on, single cases instead of village counts
  const POINT_ZOOM = 16;      // from here on, single cases even when there are many
  const CASE_LIMIT = 500;
  const POLL_MS = 3000;
  const STREAM_RETRY_MS = [2000, 60000];  // first wait, doubling up to the second
  const STREAM_SILENT_MS = 45000;         // no event, not even a heartbeat: the stream is dead
  const STAFF_CHANNELS = {
    phone: _("By phone"), counter: _("At the counter"), letter: _("By letter"), facebook: _("Facebook"),
  };

  const root = document.getElementById("dispatch");
  const map = window[root.dataset.map];
  const urls = JSON.parse(root.dataset.urls);
  const labels = { ...JSON.parse(root.dataset.labels), lang: root.dataset.lang };
  const statusName = Object.fromEntries(labels.statuses);
  const icons = JSON.parse(root.dataset.icons);  // type icon name: its fingerprinted address
  const form = document.getElementById("filters");
  const listBox = document.getElementById("cases-in-view");
  const listNote = document.getElementById("list-note");
  const countBox = document.getElementById("case-count");
  const listTitle = document.getElementById("case-list-title");
  const listSwitch = document.getElementById("list-switch");
  const hint = document.getElementById("map-hint");
  const liveState = document.getElementById("live-state");

  const villageLayer = L.geoJSON(null, { style: villageStyle, onEachFeature: villageLabel }).addTo(map);
  const caseLayer = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false }).addTo(map);
  map.createPane("case-tiles").style.zIndex = "450";  // over the villages, under the markers
  let tileLayer = null;
  let tileQuery = null;
  const tileTip = L.tooltip({ direction: "top", offset: [0, -8] });
  const markers = new Map();   // case id -> marker
  let maxOpen = 1;
  let selectedId = null;
  let generation = 0;          // answers to an older view are dropped
  let since = root.dataset.since;
  let lsn = null;              // the database's write position of the last change seen
  let listMode = "view";       // or "noplace": the cases the map cannot show
  const seen = new Map();      // case id -> updated_at already drawn

  // Quarter steps: the whole tambon fills the screen instead of a third of it.
  map.options.zoomSnap = 0.25;
  map.fitBounds(JSON.parse(root.dataset.bounds), { padding: [12, 12], animate: false });
  legend().addTo(map);

  // --- filters -------------------------------------------------------------------------
  function filterParams() {
    const params = new URLSearchParams();
    const boxes = [...form.querySelectorAll("input[name=type]")];
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    if (!chosen.length) return null;  // every layer off: nothing to ask for
    if (chosen.length < boxes.length) params.set("type", chosen.join(","));
    for (const name of ["status", "department", "village", "from", "to"]) {
      const field = form.elements[name];
      if (field && field.value && !field.disabled) params.set(name, field.value);
    }
    if (form.elements.overdue.checked) params.set("overdue", "1");
    return params;
  }

  function bboxParam() {
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
            clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map((v) => v.toFixed(6)).join(",");
  }

  async function getJSON(url, params) {
    const response = await fetch(`${url}?${params}`, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw Object.assign(new Error(body.message_en), { body, status: response.status });
    return body;
  }

  // --- drawing -------------------------------------------------------------------------
  function villageStyle(feature) {
    const zoomedOut = map.getZoom() < CASE_ZOOM;
    const count = feature.properties.open_cases;
    const strength = count ? 0.2 + 0.7 * (count / maxOpen) : 0;
    return { color: "#334155", weight: zoomedOut ? 1.5 : 2, dashArray: zoomedOut ? null : "4 4",
             fillColor: "#dc2626", fillOpacity: zoomedOut ? strength : 0.03 };
  }

  function villageLabel(feature, layer) {
    const p = feature.properties;
    const name = labels.lang === "en" && p.name_en ? p.name_en : p.name_th;
    const tip = document.createElement("span");
    const number = document.createElement("small");
    number.textContent = `${_("V.")} ${p.number}`;
    tip.append(number, document.createElement("br"), String(p.open_cases));
    layer.bindTooltip(tip, { permanent: true, direction: "center", className: "village-count" });
    const popup = document.createElement("div");
    popup.textContent = `${pgettext("col.village", "Village")} ${p.number} ${name}: ${p.open_cases}`;
    layer.bindPopup(popup);
  }

  function drawVillages(collection) {
    maxOpen = Math.max(1, ...collection.features.map((f) => f.properties.open_cases));
    villageLayer.clearLayers();
    villageLayer.addData(collection);
    const zoomedOut = map.getZoom() < CASE_ZOOM;
    villageLayer.eachLayer((layer) => {
      if (!zoomedOut) layer.closeTooltip(); else layer.openTooltip();
    });
    root.dataset.villages = String(collection.features.length);
  }

  function markerFor(feature) {
    const p = feature.properties;
    const [lon, lat] = feature.geometry.coordinates;
    const fresh = Date.now() - new Date(p.created_at).getTime() < 3600 * 1000;
    const classes = ["case-marker", `status-${p.status}`, p.overdue ? "overdue" : "",
                     fresh ? "fresh" : "", p.id === selectedId ? "selected" : ""].join(" ");
    const icon = L.divIcon({ className: classes, iconSize: [34, 34],
                             html: `<img src="${icons[p.icon]}" alt="">` });
    const marker = L.marker([lat, lon], { icon, title: `${p.code} ${categoryName(p)}`, keyboard: true });
    marker.caseId = p.id;
    marker.on("click", () => selectCase(p.id, false));
    return marker;
  }

  function drawCases(collection) {
    caseLayer.clearLayers();
    markers.clear();
    const list = collection.features.map(markerFor);
    list.forEach((marker) => markers.set(marker.caseId, marker));
    caseLayer.addLayers(list);
  }

  function drawTiles(params) {
    const query = `${params}`;
    if (tileLayer && tileQuery === query) {
      tileLayer.redraw();  // something changed: the same view afresh
      return;
    }
    clearTiles();
    tileQuery = query;
    tileLayer = L.vectorGrid.protobuf(`${urls.tiles}?${query}`, {
      pane: "case-tiles",
      interactive: true,
      maxNativeZoom: 22,
      vectorTileLayerStyles: {
        // as the markers: the status's colour (the legend), a red ring when overdue
        cases: (p) => ({ radius: 6, weight: p.overdue ? 3 : 1.5, color: p.overdue ? overdueColor : "#fff",
                         fill: true, fillColor: statusColor(p.status), fillOpacity: 0.95 }),
        cells: (p) => ({ radius: 10 + Math.min(16, Math.round(Math.log2(p.count + 1) * 3)), weight: 2,
                         color: "#fff", fill: true, fillColor: p.new ? "#be123c" : "#1e3a8a", fillOpacity: 0.85 }),
      },
    });
    tileLayer.on("click", (event) => {
      const p = event.layer.properties;
      if (p.count !== undefined) map.setView(event.latlng, map.getZoom() + 2);
      else selectCase(p.id, false);
    });
    tileLayer.on("mouseover", (event) => {  // a cell's count, a case's status and code
      const p = event.layer.properties;
      tileTip.setLatLng(event.latlng)
        .setContent(p.count !== undefined ? String(p.count) : `${statusName[p.status]} · ${p.code}`)
        .addTo(map);
    });
    tileLayer.on("mouseout", () => tileTip.remove());
    tileLayer.on("load", () => { root.dataset.tiles = String(Number(root.dataset.tiles || 0) + 1); });
    tileLayer.addTo(map);
  }

  const styles = getComputedStyle(document.documentElement);
  const overdueColor = styles.getPropertyValue("--overdue").trim() || "#dc2626";
  function statusColor(status) { return styles.getPropertyValue(`--st-${status}`).trim() || "#334155"; }

  function clearTiles() {
    if (tileLayer) map.removeLayer(tileLayer);
    tileTip.remove();
    tileLayer = null;
    tileQuery = null;
  }

  function categoryName(p) { return labels.lang === "en" && p.category_en ? p.category_en : p.category_th; }

  function age(iso) {
    const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 60) return _("%(n)s min", { n: minutes });
    const hours = Math.round(minutes / 60);
    if (hours < 48) return _("%(n)s h", { n: hours });
    return _("%(n)s d", { n: Math.round(hours / 24) });
  }

  function row(feature) {
    const p = feature.properties;
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = `case-row${p.overdue ? " overdue" : ""}${p.id === selectedId ? " selected" : ""}`;
    button.dataset.caseId = p.id;
    const icon = document.createElement("img");
    icon.src = icons[p.icon];
    icon.alt = "";
    const title = document.createElement("span");
    title.className = "row-title";
    title.textContent = categoryName(p);
    const when = document.createElement("span");
    when.className = "row-age";
    when.textContent = age(p.created_at);
    const meta = document.createElement("span");
    meta.className = "row-meta";
    const status = document.createElement("span");
    status.className = `status status-${p.status}`;
    status.textContent = statusName[p.status];
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = p.code;
    const place = document.createElement("span");
    place.textContent = p.village ? `${pgettext("col.village", "Village")} ${p.village}` : _("No village");
    meta.append(status, code, place);
    if (STAFF_CHANNELS[p.channel]) {  // entered by staff for a citizen: say how it came
      const channel = document.createElement("span");
      channel.className = "row-channel";
      channel.textContent = STAFF_CHANNELS[p.channel];
      meta.append(channel);
    }
    if (p.overdue) {
      const badge = document.createElement("span");
      badge.className = "badge-overdue";
      badge.textContent = _("Overdue");
      meta.append(badge);
    }
    const summary = document.createElement("span");
    summary.className = "row-summary";
    summary.textContent = p.summary;
    button.append(icon, title, when, meta, summary);
    button.addEventListener("click", () => selectCase(p.id, true, feature.geometry && feature.geometry.coordinates));
    li.append(button);
    return li;
  }

  function drawList(collection) {
    const features = collection.features;
    listBox.replaceChildren(...features.map(row));
    if (!features.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = _("No case matches the filters here");
      listBox.append(empty);
    }
    countBox.textContent = `(${features.length}${collection.capped ? "+" : ""})`;
    listNote.hidden = !collection.capped;
    listNote.textContent = _("Showing the newest %(n)s: zoom in or filter to see more", { n: features.length });
    root.dataset.cases = String(features.length);
  }

  function drawListSwitch(count) {
    listTitle.textContent = listMode === "noplace" ? _("Cases with no place on the map") : _("Cases in view");
    listSwitch.hidden = listMode === "view" && !count;
    listSwitch.textContent = listMode === "noplace" ? _("Back to the cases in view")
      : _("%(n)s with no place on the map", { n: count });
  }

  listSwitch.addEventListener("click", () => {
    listMode = listMode === "view" ? "noplace" : "view";
    refresh();
  });

  function legend() {
    const control = L.control({ position: "bottomright" });
    control.onAdd = () => {
      const box = L.DomUtil.create("div", "legend");
      for (const [status, name] of labels.statuses) {
        const line = L.DomUtil.create("div", "", box);
        const dot = L.DomUtil.create("i", "", line);
        dot.style.borderColor = `var(--st-${status})`;
        line.append(name);
      }
      const over = L.DomUtil.create("div", "", box);
      const ring = L.DomUtil.create("i", "", over);
      ring.style.borderColor = "var(--overdue)";
      ring.style.background = "var(--overdue)";
      over.append(_("Overdue"));
      return box;
    };
    return control;
  }

  // --- one view: villages, cases in view, and vector tiles when crowded ----------------------
  async function refresh() {
    const mine = ++generation;
    const params = filterParams();
    const zoom = map.getZoom();
    if (params === null) {
      drawVillages({ features: villageLayer.toGeoJSON().features.map((f) =>
        ({ ...f, properties: { ...f.properties, open_cases: 0 } })) });
      drawList({ features: [], capped: false });
      drawListSwitch(0);
      drawCases({ features: [] });
      clearTiles();
      return;
    }
    // Redrawn for a change: read at least that fresh (a standby that lags is passed over).
    if (lsn) params.set("fresh", lsn);
    const inView = new URLSearchParams(params);
    inView.set("bbox", bboxParam());
    inView.set("limit", String(CASE_LIMIT));
    const apart = new URLSearchParams(params);
    apart.set("place", "none");
    try {
      const [villages, cases, noPlace] = await Promise.all([
        getJSON(urls.villages, params), getJSON(urls.cases, inView),
        listMode === "noplace" ? getJSON(urls.cases, apart) : null]);
      if (mine !== generation) return;
      drawVillages(villages);
      drawList(noPlace || cases);
      drawListSwitch(villages.no_place);
      if (zoom < CASE_ZOOM) {
        drawCases({ features: [] });
        clearTiles();
      } else if (zoom < POINT_ZOOM && cases.capped) {  // too many for markers: the tiles
        drawCases({ features: [] });
        drawTiles(params);
      } else {
        clearTiles();
        drawCases(cases);
      }
      root.dataset.layer = tileLayer ? "tiles" : "markers";
      hint.hidden = zoom >= CASE_ZOOM;
      root.dataset.zoom = String(zoom);
      root.dataset.query = `${params}`;   // what is drawn now (tests wait on it)
      root.dataset.list = listMode;
      root.dataset.loaded = String(Number(root.dataset.loaded || 0) + 1);
    } catch (error) {
      if (error.body) {
        listNote.hidden = false;
        listNote.textContent = labels.lang === "en" ? error.body.message_en : error.body.message_th;
      }
    }
  }

  let pending = null;
  function refreshSoon() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  }

  // --- selecting a case ------------------------------------------------------------------
  function selectCase(id, fly, coordinates) {
    selectedId = id;
    if (fly && coordinates) map.flyTo([coordinates[1], coordinates[0]], Math.max(map.getZoom(), 17));
    window.DispatchPanel.open(id);
    markSelected();
  }

  function markSelected() {
    listBox.querySelectorAll(".case-row").forEach((b) => b.classList.toggle("selected", Number(b.dataset.caseId) === selectedId));
    markers.forEach((marker, id) => {
      const el = marker.getElement();
      if (el) el.classList.toggle("selected", id === selectedId);
    });
  }

  window.DispatchPanel.init({
    urls, labels, csrf: root.dataset.csrf,
    onOpen(id, panel) {
      // A case opened from an alert may be outside the view: go to it.
      if (panel && panel.dataset.lat && !markers.has(id)) {
        const target = [Number(panel.dataset.lat), Number(panel.dataset.lon)];
        if (!map.getBounds().contains(target)) map.flyTo(target, Math.max(map.getZoom(), 17));
      }
    },
    onClose() { selectedId = null; markSelected(); },
    onChanged() { poll(); },
  });

  window.DispatchAlert.init({
    labels, icons,
    handlers: {
      view(alert) {
        selectCase(alert.id, true, alert.lon !== null ? [alert.lon, alert.lat] : null);
      },
      async accept(alert) {
        const body = new FormData();
        body.set("action", "accept");
        const response = await fetch(urls.act.replace("/0/", `/${alert.id}/`), {
          method: "POST", body, headers: { Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
        });
        await poll();
        if (response.ok) selectCase(alert.id, true, alert.lon !== null ? [alert.lon, alert.lat] : null);
      },
    },
  });

  // --- live: what changed since the last answer -------------------------------------------
  function apply(answer) {
    since = answer.now;
    const fresh = answer.changed.filter((c) => seen.get(c.id) !== c.updated_at);
    fresh.forEach((c) => seen.set(c.id, c.updated_at));
    if (fresh.length) {
      lsn = answer.lsn || lsn;
      refresh();
      if (fresh.some((c) => c.id === window.DispatchPanel.openId)) window.DispatchPanel.reload();
    }
    window.DispatchAlert.update(answer.alerts);
    window.DispatchAlert.newCases(answer.changed, answer.now);
    liveState.dataset.state = "live";
    liveState.textContent = _("Live");
    root.dataset.answers = String(Number(root.dataset.answers || 0) + 1);
  }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      apply(await getJSON(urls.changes, new URLSearchParams({ since })));
    } catch (error) {
      // The session ended (signed out elsewhere, a new password, expired): the page asks to
      // sign in again rather than look live while nothing arrives.
      if (error.status === 401) { location.reload(); return; }
      liveState.dataset.state = "offline";
      liveState.textContent = _("Connection lost, retrying");
    } finally {
      polling = false;
    }
  }

  // On a phone the filters other than the layers fold away; their count shows what is on.
  const moreFilters = document.getElementById("more-filters");
  const filterCount = document.getElementById("filter-count");
  if (window.matchMedia("(max-width: 800px)").matches) moreFilters.open = false;
  function countFilters() {
    const on = ["status", "department", "village", "from", "to"].filter((name) => {
      const field = form.elements[name];
      return field && field.value && !field.disabled;
    }).length + (form.elements.overdue.checked ? 1 : 0);
    filterCount.textContent = on ? String(on) : "";
  }

  map.on("moveend", refreshSoon);
  form.addEventListener("change", () => { countFilters(); refreshSoon(); });
  form.addEventListener("reset", () => setTimeout(() => { countFilters(); refreshSoon(); }, 0));
  form.addEventListener("submit", (event) => event.preventDefault());

  // Pushed: one stream of events; asked every few seconds only while the stream is down.
  let stream = null;
  let pollTimer = null;
  let retryTimer = null;
  let silentTimer = null;
  let retryMs = STREAM_RETRY_MS[0];

  function pollEvery(on) {
    if (on && !pollTimer) {
      poll();
      pollTimer = setInterval(poll, POLL_MS);
    } else if (!on && pollTimer) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
    root.dataset.transport = on ? "poll" : "stream";  // tests wait on it
  }

  function listen() {
    retryTimer = null;
    if (!window.EventSource) { pollEvery(true); return; }
    const source = new EventSource(`${urls.stream}?${new URLSearchParams({ since })}`);
    stream = source;
    const alive = () => {
      clearTimeout(silentTimer);
      silentTimer = setTimeout(() => broken(source), STREAM_SILENT_MS);
    };
    alive();
    source.addEventListener("changes", (event) => {
      alive();
      retryMs = STREAM_RETRY_MS[0];
      pollEvery(false);
      apply(JSON.parse(event.data));
    });
    source.addEventListener("heartbeat", alive);
    // The server ends a stream now and then (its sign-in is checked again): reopen at once.
    source.addEventListener("end", () => {
      if (source !== stream) return;
      source.close();
      listen();
    });
    source.addEventListener("error", () => broken(source));
  }

  function broken(source) {
    if (source !== stream) return;
    source.close();
    stream = null;
    clearTimeout(silentTimer);
    pollEvery(true);
    if (!retryTimer) retryTimer = setTimeout(listen, retryMs);
    retryMs = Math.min(retryMs * 2, STREAM_RETRY_MS[1]);
  }

  refresh();
  listen();
  // A case opened from the list and search page (/dispatch/cases): /dispatch/?case=ID.
  const asked = Number(new URLSearchParams(window.location.search).get("case"));
  if (Number.isSafeInteger(asked) && asked > 0) selectCase(asked, false);
})();
