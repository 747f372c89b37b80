// The crew page: my cases and cases near me on the map and in a list (nearest first), their
// popups with the citizen's photos, "navigate", "start work" and "close with evidence".
// Work goes through the outbox (crew-outbox.js), so it is kept when there is no signal.
// Markers and legend as on the dispatcher's map (case-markers.js); the offline map pack
// (crew-map-pack.js) gives the map its background without signal.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const page = JSON.parse(document.getElementById("crew-page").textContent);
  // Why a closing's evidence needs review, one check at a time (mapdash/field/evidence.py).
  const CHECK_FAILED = {
    not_reused: (v) => _("photo %(n)s matches a photo already on file", v),
    taken_after_report: (v) => _("photo %(n)s was taken before the report", v),
    near_case: (v) => _("closed more than %(limit)s m from the case", v),
  };
  const map = window[page.map];
  const Markers = window.mapdash.caseMarkers;
  const Outbox = window.CrewOutbox;
  const $ = (id) => document.getElementById(id);
  // What a crew chose when closing (mapdash/field/fieldwork.py, RESULT_LABELS).
  const RESULT_LABELS = { fixed: _("Fixed"), cannot_fix: _("Cannot fix") };
  const MAX_PHOTOS = 5;
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  const RELOAD_AFTER_MOVING_M = 300;

  let position = null;        // {lat, lon, accuracy, at}
  let loadedAt = null;        // the position the case list was asked for
  let features = [];
  let waiting = new Map();    // case id -> outbox item
  let offline = false;
  const layer = L.layerGroup().addTo(map);
  const markers = new Map();
  let meMarker = null;

  map.fitBounds(page.bounds);
  // At the bottom, by the thumb: at the top the buttons covered the title of a popup.
  map.zoomControl.setPosition("bottomright");
  let legendControl = null;
  // An open popup's buttons come first: the legend would cover the lowest one.
  let popupOpen = false;
  map.on("popupopen popupclose", (event) => {
    popupOpen = event.type === "popupopen";
    if (legendControl) legendControl.getContainer().hidden = popupOpen;
  });

  // Village outlines from our own GeoJSON: the map still says where things are when the map
  // tiles cannot be loaded (no signal, or a tile server out of reach).
  map.createPane("villages").style.zIndex = 350;
  fetch(page.urls.villages, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => response.json())
    .then((collection) => L.geoJSON(collection, {
      pane: "villages", interactive: false,
      style: { color: "#475569", weight: 1.5, fillColor: "#94a3b8", fillOpacity: 0.08 },
      onEachFeature: (feature, polygon) => polygon.bindTooltip(
        pgettext("map label", "V. %(n)s", { n: feature.properties.number }),
        { permanent: true, direction: "center", className: "village-label", pane: "villages" }),
    }).addTo(map))
    .catch(() => {});

  // ---- helpers ---------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (name === "className") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    });
    return node;
  }

  function metres(a, b) {  // haversine, for sorting by distance on the phone
    const rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad;
    const dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  function distanceLabel(m) {
    if (m === null || m === undefined) return "";
    if (m < 1000) return _("%(n)s m", { n: Math.round(m) });
    return _("%(n)s km", { n: (m / 1000).toFixed(m < 10000 ? 1 : 0) });
  }

  const dateFormat = new Intl.DateTimeFormat(page.lang === "en" ? "en-GB" : "th-TH-u-ca-buddhist", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Asia/Bangkok" });

  function caseUrl(template, id) { return template.replace("{id}", id); }

  function toast(message, kind) {
    const box = $("crew-toast");
    box.textContent = message;
    box.className = `toast ${kind || ""}`;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  // Something the crew must read (a closing the server did not keep): unlike a toast, it
  // stays at the top of the page, scrolled to, until they press "OK".
  function notice(message) {
    const item = el("li", { className: "crew-notice", role: "alert" }, el("p", null, message),
                    el("button", { type: "button", className: "button secondary",
                                   onclick: () => item.remove() }, _("OK")));
    $("crew-notices").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function status(message) { $("crew-status").textContent = message; }

  // ---- cases -----------------------------------------------------------------------------
  function pointOf(feature) {
    const g = feature.geometry;
    return g ? { lat: g.coordinates[1], lon: g.coordinates[0] } : null;
  }

  function distanceOf(feature) {
    const point = pointOf(feature);
    if (position && point) return metres(position, point);
    return feature.properties.distance_m;
  }

  function loadCases() {
    const url = new URL(page.urls.cases, location.href);
    if (position) {
      url.searchParams.set("lat", position.lat.toFixed(6));
      url.searchParams.set("lon", position.lon.toFixed(6));
      loadedAt = position;
    }
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (response.redirected || response.status === 401
            || !(response.headers.get("Content-Type") || "").includes("json")) {
          location.reload();  // signed out: the page will ask to sign in
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        offline = response.headers.get("X-Crew-Offline") === "1";
        return response.json();
      })
      .then((collection) => {
        if (!collection) return;
        features = collection.features;
        render();
        if (!framed && position) frameMyWork();
        keepForOffline(false);
      })
      .catch(() => { status(_("Could not load the cases: try again")); });
  }

  function sortedFeatures() {
    return features.slice().sort((a, b) => {
      const da = distanceOf(a);
      const db = distanceOf(b);
      if (da === null || da === undefined) return db === null || db === undefined ? 0 : 1;
      if (db === null || db === undefined) return -1;
      return da - db;
    });
  }

  function statusChip(feature) {
    const p = feature.properties;
    // Closed by me, but a dispatcher checks the evidence: it may come back to me.
    if (underReview(p)) return el("span", { className: "chip chip-review" }, _("Closed, evidence under review"));
    return el("span", { className: `status status-${p.status}` }, page.status_labels[p.status] || p.status);
  }

  function waitingChip(feature) {
    const item = waiting.get(feature.id);
    if (!item) return null;
    if (item.state === "failed") return el("span", { className: "chip chip-failed" }, _("Not sent"));
    return el("span", { className: "chip chip-waiting" }, _("Waiting to send"));
  }

  function villageLabel(p) {
    if (p.village_number === null) return "";
    const name = page.lang === "en" && p.village_en ? p.village_en : p.village_th;
    return `${pgettext("track.village_no", "Village")} ${p.village_number} ${name}`;
  }

  function categoryLabel(p) { return page.lang === "en" ? p.category_en : p.category_th; }

  function navigateLink(feature) {
    const point = pointOf(feature);
    if (!point) return null;
    // A link, not an embedded map: the phone's maps app opens it and routes from where we are.
    const href = `https://www.google.com/maps/dir/?api=1&destination=${point.lat},${point.lon}`;
    return el("a", { className: "button secondary", href, target: "_blank", rel: "noopener",
                     "data-navigate": "" }, _("Navigate"));
  }

  function actions(feature) {
    const p = feature.properties;
    const pending = waiting.get(feature.id);
    const buttons = [navigateLink(feature)];
    if (!pending && p.can_start) {
      buttons.push(el("button", { type: "button", className: "button", "data-start": feature.id,
                                  onclick: () => startWork(feature) }, _("Start work")));
    }
    if (!pending && p.can_close) {
      buttons.push(el("button", { type: "button", className: "button primary", "data-close": feature.id,
                                  onclick: () => openClosing(feature) }, _("Close with evidence")));
    }
    if (pending && pending.state === "failed") {
      const answer = pending.answer || {};
      buttons.push(el("p", { className: "error-text" },
                      page.lang === "en" ? answer.message_en : answer.message_th));
      buttons.push(el("button", { type: "button", className: "button secondary",
                                  onclick: () => discard(pending) }, _("Discard")));
    }
    return el("div", { className: "case-actions" }, buttons);
  }

  function popupContent(feature) {
    const p = feature.properties;
    const thumbs = p.photos.length
      ? el("div", { className: "thumbs" }, p.photos.map((id) =>
        el("a", { href: caseUrl(page.urls.photo, id), target: "_blank", rel: "noopener" },
           el("img", { src: caseUrl(page.urls.thumb, id), alt: _("The citizen's photos"),
                       loading: "lazy", width: 96, height: 72 }))))
      : el("p", { className: "muted" }, _("The citizen sent no photo"));
    return el("div", { className: "case-popup", "data-case": feature.id },
      el("p", { className: "case-title" }, el("strong", null, categoryLabel(p)), " ",
         el("span", { className: "code" }, p.code)),
      el("p", { className: "case-meta" }, statusChip(feature), " ", waitingChip(feature),
         p.mine ? null : el("span", { className: "chip" }, _("Nearby, not assigned to you"))),
      p.evidence_review === "sent_back"
        ? el("p", { className: "sent-back" }, `${_("Sent back by the dispatcher")}: ${p.sent_back_note || ""}`) : null,
      el("p", { className: "case-meta" }, [villageLabel(p), distanceLabel(distanceOf(feature))]
        .filter(Boolean).join(" · ")),
      p.description ? el("p", { className: "case-description" }, p.description) : null,
      el("p", { className: "muted" }, `${pgettext("crew.reported", "Reported")} ${dateFormat.format(new Date(p.reported_at))}`),
      el("p", { className: "thumbs-title" }, _("The citizen's photos")),
      thumbs,
      actions(feature));
  }

  function underReview(p) { return p.evidence_review === "needs_review"; }

  function markerFor(feature) {
    const p = feature.properties;
    const point = pointOf(feature);
    const classes = [p.mine ? "mine" : "nearby", `case-${feature.id}`, underReview(p) ? "under-review" : ""];
    const marker = L.marker([point.lat, point.lon], {
      icon: Markers.icon(page.icons, p, classes, p.mine ? 40 : 30),
      title: `${p.code} ${categoryLabel(p)}`, zIndexOffset: p.mine ? 1000 : 0 });
    // The popup keeps clear of the map's edges and of the zoom buttons (bottom right).
    marker.bindPopup(() => popupContent(feature), {
      maxWidth: 320, minWidth: 260, className: "crew-popup", autoPanPaddingTopLeft: [12, 12],
      autoPanPaddingBottomRight: [56, 12] });
    return marker;
  }

  // What the markers mean: my cases and nearby ones, the statuses and types on the map, me.
  function drawLegend(ordered) {
    const wasOpen = legendControl !== null && legendControl.getContainer().open;
    if (legendControl) legendControl.remove();
    const statuses = [...new Set(ordered.map((f) => f.properties.status))];
    const types = new Map(ordered.map((f) => [f.properties.icon, categoryLabel(f.properties)]));
    const sample = (className) => Object.assign(document.createElement("i"), { className });
    const rows = [
      [sample("legend-mine"), _("My case (large)")],
      [sample("legend-nearby"), _("Nearby, not mine (small)")],
      ...statuses.map((status) => [Markers.ring(status), page.status_labels[status] || status]),
      ...[...types].map(([icon, label]) => [Markers.typeIcon(page.icons, icon), label]),
      [sample("legend-me"), _("You are here")],
    ];
    legendControl = Markers.legend(_("Legend"), rows, "bottomleft").addTo(map);
    legendControl.getContainer().hidden = popupOpen;
    legendControl.getContainer().open = wasOpen;  // new data does not fold what is read
  }

  function render() {
    // New data must not close the popup the crew is reading.
    const open = [...markers.entries()].find(([, marker]) => marker.isPopupOpen());
    layer.clearLayers();
    markers.clear();
    const list = $("crew-list");
    list.replaceChildren();
    const ordered = sortedFeatures();
    ordered.forEach((feature) => {
      const p = feature.properties;
      if (pointOf(feature)) {
        const marker = markerFor(feature).addTo(layer);
        markers.set(feature.id, marker);
      }
      list.append(el("li", { className: `case-card${p.mine ? " mine" : ""}`, "data-case": feature.id },
        el("button", { type: "button", className: "case-open", onclick: () => focusCase(feature) },
          el("span", { className: "case-card-title" }, categoryLabel(p)),
          el("span", { className: "case-card-distance" }, distanceLabel(distanceOf(feature)) || _("No place on the map")),
          el("span", { className: "case-card-meta" },
             [p.code, villageLabel(p)].filter(Boolean).join(" · ")),
          el("span", { className: "case-card-chips" }, statusChip(feature), " ", waitingChip(feature),
             p.mine ? el("span", { className: "chip chip-mine" }, _("Mine")) : null))));
    });
    if (open && markers.has(open[0])) markers.get(open[0]).openPopup();
    drawLegend(ordered);
    $("crew-empty").hidden = ordered.length > 0;
    if (offline) status(_("No signal: showing the data last saved on this phone"));
    else if (!position) status(_("Your position is unknown: only your assigned cases are shown"));
    else status("");
    renderOutbox();
  }

  // Once, when my position is first known: me and my own cases in view.
  let framed = false;
  function frameMyWork() {
    framed = true;
    const points = features.filter((f) => f.properties.mine && pointOf(f))
      .map((f) => [pointOf(f).lat, pointOf(f).lon]);
    points.push([position.lat, position.lon]);
    map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 15 });
  }

  function focusCase(feature) {
    const marker = markers.get(feature.id);
    if (!marker) {
      toast(_("No place on the map"));
      return;
    }
    // The map's foot at the screen's foot, and the marker low in the map: the popup (and its
    // buttons) opens where the thumb is.
    $("crew-map").scrollIntoView({ behavior: "smooth", block: "end" });
    const zoom = Math.max(map.getZoom(), 16);
    const shift = map.getSize().y * 0.3;
    const target = map.unproject(map.project(marker.getLatLng(), zoom).subtract([0, shift]), zoom);
    map.setView(target, zoom, { animate: false });
    marker.openPopup();
  }

  function refreshPopup(feature) {
    const marker = markers.get(feature.id);
    if (marker && marker.isPopupOpen()) marker.setPopupContent(popupContent(feature));
  }

  // ---- position --------------------------------------------------------------------------
  function onPosition(found) {
    const first = position === null;
    position = { lat: found.coords.latitude, lon: found.coords.longitude,
                 accuracy: found.coords.accuracy, at: Date.now() };
    if (!meMarker) {
      meMarker = L.circleMarker([position.lat, position.lon], {
        radius: 8, color: "#fff", weight: 3, fillColor: "#2563eb", fillOpacity: 1,
        className: "me-marker" }).addTo(map);
    } else {
      meMarker.setLatLng([position.lat, position.lon]);
    }
    if (first || !loadedAt || metres(loadedAt, position) > RELOAD_AFTER_MOVING_M) loadCases();
    else render();
  }

  function currentPosition() {
    // The position at the moment of closing; a recent one will do when the GPS is slow.
    return new Promise((resolve) => {
      const recent = position && Date.now() - position.at < 120000 ? position : null;
      if (!("geolocation" in navigator)) { resolve(recent); return; }
      navigator.geolocation.getCurrentPosition(
        (found) => resolve({ lat: found.coords.latitude, lon: found.coords.longitude,
                             accuracy: found.coords.accuracy }),
        () => resolve(recent), { enableHighAccuracy: true, maximumAge: 15000, timeout: 8000 });
    });
  }

  // ---- the outbox ------------------------------------------------------------------------
  function refreshWaiting() {
    return Outbox.all(page.crew).then((items) => {
      waiting = new Map(items.map((item) => [item.caseId, item]));
      render();
    });
  }

  function renderOutbox() {
    const box = $("crew-outbox");
    const count = [...waiting.values()].filter((item) => item.state !== "failed").length;
    box.hidden = count === 0;
    box.textContent = count ? _("%(n)s waiting to send: they go by themselves when there is signal", { n: count }) : "";
  }

  const hooks = {
    sent(item, answer) {
      const feature = features.find((f) => f.id === item.caseId);
      if (item.kind === "close") {
        features = features.filter((f) => f.id !== item.caseId);
        if (answer.needs_review && feature) {
          // Still on my list, marked, until a dispatcher accepts the evidence or sends it back.
          Object.assign(feature.properties, { status: answer.status, evidence_review: "needs_review",
                                              can_start: false, can_close: false });
          features.push(feature);
        }
        if (answer.needs_review) {
          const why = (answer.failed_checks || []).map((check) =>
            CHECK_FAILED[check.check]({ n: check.photo, limit: (check.detail || {}).limit })).join(", ");
          toast(_("Case %(code)s is closed, but a dispatcher must review the evidence: %(why)s", { code: answer.case, why }), "warn");
        } else {
          toast(_("Case %(code)s is closed", { code: answer.case }), "ok");
        }
      } else if (feature) {
        feature.properties.status = answer.status;
        feature.properties.can_start = false;
        toast(_("Work on %(code)s started", { code: answer.case }), "ok");
      }
    },
    failed(item, answer) {
      const why = page.lang === "en" ? answer.message_en : answer.message_th;
      toast(`${_("Not sent")} ${item.code || ""}: ${why || ""}`, "warn");
    },
    // This closing's key had already closed the case, with another note, result or photos:
    // the server kept that first closing, and the outbox dropped this one.
    conflict(item, answer) {
      const first = answer.first_closing || {};
      features = features.filter((f) => f.id !== item.caseId);
      notice(_("Case %(code)s was already closed as “%(result)s: %(note)s”. That first " +
               "closing was kept; this later one was not saved and is removed from this phone.",
               { code: first.case || item.code, result: RESULT_LABELS[first.result] || first.result,
                 note: first.note }));
    },
    signIn() { toast(_("Please sign in again: the waiting closings are kept on this phone"), "warn"); },
  };

  let flushing = null;
  function flush() {
    if (flushing) return flushing;
    // Positions are crew-position.js's to send: it tells the crew when one went.
    flushing = Outbox.flush(page.urls.token, page.crew, hooks, (item) => item.kind !== "position")
      .catch(() => "retry")
      .then((outcome) => refreshWaiting().then(() => outcome))
      .finally(() => { flushing = null; });
    return flushing;
  }

  // item: kept in the outbox and sent (null: already kept).
  function queue(item) {
    return (item ? Outbox.put(item) : Promise.resolve()).then(() => {
      if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
        // Lets the phone send it later even with the page closed, where the browser can.
        navigator.serviceWorker.ready
          .then((registration) => registration.sync && registration.sync.register("crew-outbox"))
          .catch(() => {});
      }
      return refreshWaiting();
    }).then(flush);
  }

  function discard(item) {
    Outbox.remove(item.key).then(refreshWaiting).then(() => {
      const feature = features.find((f) => f.id === item.caseId);
      if (feature) refreshPopup(feature);
    });
  }

  function startWork(feature) {
    map.closePopup();
    queue({ key: crypto.randomUUID(), kind: "start", crew: page.crew, caseId: feature.id,
            code: feature.properties.code, url: caseUrl(page.urls.start, feature.id), fields: {},
            createdAt: new Date().toISOString() });
  }

  // ---- the closing sheet -----------------------------------------------------------------
  const sheet = $("close-sheet");
  const form = $("close-form");
  let closingCase = null;
  let chosen = [];  // File objects from the camera and the gallery

  function showError(message) {
    $("close-error").textContent = message || "";
    $("close-error").hidden = !message;
  }

  function openClosing(feature) {
    closingCase = feature;
    chosen = [];
    form.reset();
    renderPreviews();
    showError("");
    $("close-reason").hidden = true;
    $("close-code").textContent = feature.properties.code;
    map.closePopup();
    sheet.showModal();
  }

  function renderPreviews() {
    const list = $("close-previews");
    list.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
    list.replaceChildren(...chosen.map((file, index) => el("li", null,
      el("img", { src: URL.createObjectURL(file), alt: file.name, width: 88, height: 88 }),
      el("button", { type: "button", className: "remove", "aria-label": _("Remove this photo"),
                     onclick: () => { chosen.splice(index, 1); renderPreviews(); } }, "×"))));
  }

  form.querySelectorAll("[data-photo-input]").forEach((input) => {
    input.addEventListener("change", () => {
      showError("");
      for (const file of input.files) {
        // Some galleries give no type: the server judges those by their content.
        if (file.type && !file.type.startsWith("image/")) { showError(_("This file is not an image")); continue; }
        if (file.size > MAX_PHOTO_BYTES) { showError(_("Each photo must be at most 10 MB")); continue; }
        if (chosen.length >= MAX_PHOTOS) { showError(_("At most 5 photos")); break; }
        chosen.push(file);
      }
      input.value = "";
      renderPreviews();
    });
  });

  form.addEventListener("change", (event) => {
    if (event.target.name === "result") {
      $("close-reason").hidden = event.target.value !== "cannot_fix";
    }
  });

  // While sending, "cancel" only hides the sheet: the closing is kept and goes on sending.
  $("close-cancel").addEventListener("click", () => sheet.close());

  // The send button says what the phone is doing, and takes no second tap meanwhile.
  const submitButton = $("close-submit");
  function sending(step, percent) {
    const busy = step !== null;
    submitButton.disabled = busy;
    submitButton.classList.toggle("busy", busy);
    submitButton.dataset.step = step || "";
    $("close-cancel").textContent = busy ? _("Hide (it keeps sending)") : _("Cancel");
    const bar = $("close-progress");
    bar.hidden = step !== "uploading";
    if (step === "uploading") bar.value = percent;
    submitButton.textContent = step === "position" ? _("Finding your position…")
      : step === "uploading" ? _("Uploading %(percent)s…", { percent: `${percent}%` })
        : step === "saving" ? _("Saving on the phone…") : _("Send the closing");
  }

  // The outbox's lock (crew-outbox.js): while held, neither the page nor the service worker
  // sends from the outbox, so the closing sent here is not sent twice.
  const OUTBOX_LOCK = "mapdash-crew-outbox";

  function post(item, token, onProgress) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      Object.entries(item.fields).forEach(([name, value]) => body.append(name, value));
      item.photos.forEach((photo) => body.append("photos", photo.blob, photo.name));
      const request = new XMLHttpRequest();  // fetch cannot tell how much of a body is sent
      request.open("POST", item.url);
      request.setRequestHeader("X-CSRFToken", token);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(Math.min(99, Math.floor(100 * event.loaded / event.total)));
      });
      request.addEventListener("load", () => {
        let answer = {};
        try { answer = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
        const json = (request.getResponseHeader("Content-Type") || "").includes("json");
        resolve({ status: request.status, answer, signedOut: !json || request.status === 401 });
      });
      request.addEventListener("error", () => reject(new Error("network")));
      request.addEventListener("abort", () => reject(new Error("abort")));
      request.send(body);
    });
  }

  // The closing just kept in the outbox, sent at once with its progress shown. An answer
  // is handled as the outbox handles it; no answer (no signal, the server's trouble) leaves
  // it in the outbox, which sends it when it can.
  async function sendNow(item) {
    const run = async () => {
      if (!(await Outbox.all(page.crew)).some((kept) => kept.key === item.key)) return;
      const tokenAnswer = await fetch(page.urls.token, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } });
      if (!(tokenAnswer.headers.get("Content-Type") || "").includes("json")) { hooks.signIn(); return; }
      const { csrf_token: token } = await tokenAnswer.json();
      const { status, answer, signedOut } = await post(item, token, (n) => sending("uploading", n));
      if (signedOut) { hooks.signIn(); return; }
      if (status >= 200 && status < 300) {
        await Outbox.remove(item.key);
        hooks.sent(item, answer);
      } else if (status === 409 && answer.error === "closing_conflict") {
        await Outbox.remove(item.key);
        hooks.conflict(item, answer);
      } else if (status >= 400 && status < 500 && status !== 429 && answer.error !== "csrf") {
        await Outbox.put({ ...item, state: "failed", answer });
        hooks.failed(item, answer);
      }
    };
    try {
      await (navigator.locks ? navigator.locks.request(OUTBOX_LOCK, run) : run());
    } catch (error) { /* no signal now: the outbox sends it later */ }
  }

  let submitting = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submitting) return;
    const data = new FormData(form);
    const result = data.get("result");
    const note = (data.get("note") || "").trim();
    if (!chosen.length) return showError(_("Take or choose at least one evidence photo"));
    if (!result) return showError(_("Choose the result"));
    if (result === "cannot_fix" && !data.get("reason")) return showError(_("Choose why it cannot be fixed"));
    if (!note) return showError(_("Write a short note of what was done"));
    submitting = true;
    try {
      const feature = closingCase;
      const closedAt = new Date().toISOString();
      sending("position");
      const where = await currentPosition();
      const key = crypto.randomUUID();
      const fields = { idempotency_key: key, result, reason: result === "cannot_fix" ? data.get("reason") : "",
                       note, closed_at: closedAt };
      if (where) Object.assign(fields, { lat: where.lat.toFixed(7), lon: where.lon.toFixed(7),
                                         accuracy: Math.round(where.accuracy || 0) });
      const item = { key, kind: "close", crew: page.crew, caseId: feature.id, code: feature.properties.code,
                     url: caseUrl(page.urls.close, feature.id), fields, createdAt: closedAt,
                     photos: chosen.map((file) => ({ blob: file, name: file.name })) };
      sending("saving");
      await Outbox.put(item);  // kept first: nothing is lost if the phone dies while sending
      if (navigator.onLine) {
        sending("uploading", 0);
        await sendNow(item);
      }
      sheet.close();
      await queue(null);
    } finally {
      submitting = false;
      sending(null);
    }
  });

  // ---- start -----------------------------------------------------------------------------
  // What the page fetched before the service worker took over is not kept yet: ask again
  // through it. The citizen's photos of my cases are kept too (the worker keeps photos).
  function keepForOffline(withVillages) {
    if (!("serviceWorker" in navigator) || !navigator.serviceWorker.controller) return;
    const urls = features.filter((f) => f.properties.mine)
      .flatMap((f) => f.properties.photos.map((id) => caseUrl(page.urls.thumb, id)));
    if (withVillages) urls.push(page.urls.villages);
    urls.forEach((url) => fetch(url, { credentials: "same-origin" }).catch(() => {}));
    // The markers' type icons, once (the worker keeps them).
    new Set(features.map((f) => page.icons[f.properties.icon])).forEach((url) =>
      caches.match(url).then((kept) => kept || fetch(url)).catch(() => {}));
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(page.urls.worker, { scope: page.urls.scope }).catch(() => {});
    navigator.serviceWorker.addEventListener("controllerchange", () => keepForOffline(true));
    navigator.serviceWorker.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.type === "outbox-sent") {
        hooks.sent(message.item, message.answer);
        refreshWaiting();
      } else if (message.type === "outbox-conflict") {
        hooks.conflict(message.item, message.answer);
        refreshWaiting();
      }
    });
  }
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
  setInterval(() => { if (waiting.size) flush(); }, 30000);

  if ("geolocation" in navigator) {
    navigator.geolocation.watchPosition(onPosition, () => { if (!position) render(); },
      { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }
  refreshWaiting().then(loadCases).then(flush);
  window.CrewMapPack.init(page, map, () => position);
})();
