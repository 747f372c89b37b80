// The report form, enhanced: pin on the map (tap, drag, "use my location" or typed
// coordinates), the village of the pin, open cases of the same type nearby (+1 instead of a
// duplicate), photo previews and checks, and one submission per tap. Without this script the
// form still works: typed coordinates, plain file input, server-side checks.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const form = document.getElementById("report-form");
  if (!form) return;
  const statusLabels = JSON.parse(form.dataset.statusLabels);
  const lang = form.dataset.lang;
  const latInput = document.getElementById("lat");
  const lonInput = document.getElementById("lon");
  const photosInput = document.getElementById("photos");
  const submitButton = document.getElementById("submit-report");
  const villageLine = document.getElementById("place-village");
  const geoMessage = document.getElementById("geo-message");
  const nearbyBox = document.getElementById("nearby");
  const maxPhotos = Number(form.dataset.maxPhotos);
  const maxBytes = Number(form.dataset.maxPhotoMb) * 1024 * 1024;
  const accepted = ["image/jpeg", "image/png", "image/webp"];
  let inside = null; // null: not checked yet; true/false: answer for the current pin

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  // ---- the place ----------------------------------------------------------------------
  const mapBox = document.getElementById("place-map");
  let map = null;
  let marker = null;
  if (mapBox) {
    map = window[mapBox.dataset.map];
    map.fitBounds(JSON.parse(mapBox.dataset.bounds), { animate: false });
    map.attributionControl.setPrefix(false); // room for the scale on a phone
    // Village names sit under the pin, not over it.
    map.createPane("villageLabels").style.zIndex = 450;
    fetch(mapBox.dataset.villagesUrl).then((r) => r.json()).then((villages) => {
      L.geoJSON(villages, {
        interactive: false,
        style: { color: "#1e3a8a", weight: 1.5, fillColor: "#93c5fd", fillOpacity: 0.12 },
        onEachFeature: (feature, layer) => {
          layer.bindTooltip(pgettext("map label", "V. %(n)s", { n: feature.properties.number }),
            { permanent: true, direction: "center", className: "village-label", pane: "villageLabels" });
        },
      }).addTo(map);
      mapBox.dataset.loaded = String(villages.features.length);
    });
    map.on("click", (event) => {
      placePin(event.latlng.lat, event.latlng.lng, true);
      // Closer in, so the pin can be dragged to the exact pole or pipe.
      if (map.getZoom() < 15) map.setView(event.latlng, 15);
    });
    document.getElementById("coords").open = false;
  }

  function placePin(lat, lon, writeInputs) {
    const latlng = L.latLng(lat, lon);
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true }).addTo(map);
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        placePin(p.lat, p.lng, true);
      });
    } else {
      marker.setLatLng(latlng);
    }
    if (writeInputs) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
    }
    checkPlace(lat, lon);
  }

  function fromInputs() {
    // "17.35, 104.62" pasted into the first box fills both.
    const pasted = latInput.value.split(/[,\s]+/).filter(Boolean);
    if (pasted.length === 2 && !lonInput.value) {
      latInput.value = pasted[0];
      lonInput.value = pasted[1];
    }
    const lat = Number(latInput.value.trim());
    const lon = Number(lonInput.value.trim());
    if (!latInput.value.trim() || !lonInput.value.trim()) return;
    if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      showVillage(_("Invalid coordinates: latitude -90 to 90, longitude -180 to 180"), "outside");
      inside = false;
      return;
    }
    placePin(lat, lon, false);
    map.setView([lat, lon], Math.max(map.getZoom(), 15));
  }
  if (latInput && map) {
    latInput.addEventListener("change", fromInputs);
    lonInput.addEventListener("change", fromInputs);
  }

  function showVillage(text, state) {
    villageLine.textContent = text;
    villageLine.className = `place-village ${state || ""}`;
  }

  let placeRequest = 0;
  function checkPlace(lat, lon) {
    const mine = ++placeRequest;
    inside = null;
    showVillage(_("Checking the place…"), "");
    const query = new URLSearchParams({ lat: String(lat), lon: String(lon) });
    fetch(`${form.dataset.locateUrl}?${query}`, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((answer) => {
        if (mine !== placeRequest) return; // the pin moved since
        inside = Boolean(answer.inside);
        if (!answer.inside) {
          showVillage(_("This place is outside every area this service covers: move the pin"), "outside");
          nearbyBox.hidden = true;
          return;
        }
        const v = answer.village;
        const name = v && (lang === "en" && v.name_en ? v.name_en : v.name_th);
        showVillage(v ? `${pgettext("track.village_no", "Village")} ${v.number} ${name}` : _("Inside the area, but in no village"), "inside");
        loadNearby(lat, lon);
      })
      .catch(() => { if (mine === placeRequest) { inside = null; showVillage("", ""); } });
  }

  function loadNearby(lat, lon) {
    if (form.dataset.sensitive === "true") return;
    const query = new URLSearchParams({ type: form.dataset.category, lat: String(lat), lon: String(lon) });
    fetch(`${form.dataset.nearbyUrl}?${query}`, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((answer) => renderNearby(answer.cases || []));
  }

  function renderNearby(cases) {
    nearbyBox.replaceChildren();
    nearbyBox.hidden = cases.length === 0;
    if (!cases.length) return;
    nearbyBox.append(el("h3", { textContent: _("Already reported?") }),
      el("p", { className: "hint", textContent: _("Open cases of this type within 100 m. If one is your problem, press \"Same problem\" instead of reporting it again") }));
    const list = el("ul");
    cases.forEach((c) => {
      const picture = c.thumb_url
        ? el("img", { src: c.thumb_url, alt: "", loading: "lazy" })
        : el("span", { className: "no-photo" });
      const village = c.village_number
        ? `${pgettext("track.village_no", "Village")} ${c.village_number} ${lang === "en" && c.village_en ? c.village_en : c.village_th}` : "";
      const reported = lang === "en" ? c.reported_en : c.reported_th;
      const same = el("button", {
        type: "submit", className: "primary same-problem", textContent: _("Same problem (+1)"),
        formAction: `${c.url}/follow`, formNoValidate: true,
      });
      same.dataset.follow = c.code;
      list.append(el("li", {}, [
        picture,
        el("div", {}, [
          el("strong", { className: "code", textContent: c.code }),
          el("p", { className: "meta", textContent: `${c.distance_m} ${_("m")} · ${village}` }),
          el("p", { className: "meta", textContent: `${reported} · ${statusLabels[c.status] || c.status}` +
            (c.followers_count ? ` · +${c.followers_count} ${_("following")}` : "") }),
        ]),
        el("div", { className: "actions" }, [
          same,
          el("a", { href: c.url, target: "_blank", rel: "noopener", textContent: pgettext("report.view_case", "View") }),
        ]),
      ]));
    });
    nearbyBox.append(list);
  }

  const locateButton = document.getElementById("use-location");
  if (locateButton) {
    locateButton.addEventListener("click", () => {
      if (!navigator.geolocation || !window.isSecureContext) {
        geoMessage.textContent = _("This browser cannot find your location: tap the map to drop a pin");
        return;
      }
      geoMessage.textContent = _("Finding your location…");
      navigator.geolocation.getCurrentPosition((position) => {
        geoMessage.textContent = _("Pinned at your location: drag the pin if it is not exact");
        const { latitude, longitude } = position.coords;
        placePin(latitude, longitude, true);
        map.setView([latitude, longitude], 17);
      }, (failure) => {
        geoMessage.textContent = failure.code === failure.PERMISSION_DENIED ? _("Location permission was refused: tap the map to drop a pin, or allow location in the browser's settings") : _("Your location could not be found: tap the map to drop a pin");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // A place already in the form (sent back with an error, or preset by a LINE location link):
  // pin it once everything above is defined.
  if (map && latInput.value && lonInput.value) fromInputs();

  // ---- photos -------------------------------------------------------------------------
  const previews = document.getElementById("photo-previews");
  const photoMessage = document.getElementById("photo-message");
  let chosen = [];

  function syncPhotos() {
    // The input's file list is what the form sends; rebuild it from what is kept.
    const transfer = new DataTransfer();
    chosen.forEach((file) => transfer.items.add(file));
    photosInput.files = transfer.files;
    previews.replaceChildren(...chosen.map((file, index) => {
      const remove = el("button", { type: "button", textContent: "×", title: _("Remove this photo") });
      remove.setAttribute("aria-label", _("Remove this photo"));
      remove.addEventListener("click", () => { chosen.splice(index, 1); photoMessage.textContent = ""; syncPhotos(); });
      const img = el("img", { src: URL.createObjectURL(file), alt: file.name });
      return el("li", {}, [img, remove]);
    }));
  }

  if (photosInput) photosInput.addEventListener("change", () => {
    const problems = [];
    const added = Array.from(photosInput.files);
    added.forEach((file) => {
      if (!accepted.includes(file.type)) problems.push(`${file.name}: ${_("This file is not a JPEG, PNG or WebP image")}`);
      else if (file.size > maxBytes) problems.push(`${file.name}: ${_("Each photo must be at most 10 MB")}`);
      else if (chosen.length >= maxPhotos) { if (!problems.includes(_("At most 5 photos per report"))) problems.push(_("At most 5 photos per report")); }
      else chosen.push(file);
    });
    photoMessage.textContent = problems.join(" · ");
    syncPhotos();
  });

  // ---- details counter, and one submission -----------------------------------------------
  const description = document.getElementById("description");
  const counter = document.getElementById("description-count");
  description.addEventListener("input", () => { counter.textContent = String(description.value.length); });

  let sent = false;
  form.addEventListener("submit", (event) => {
    const following = event.submitter && event.submitter.dataset.follow;
    if (sent) { event.preventDefault(); return; }
    if (!following && mapBox) {
      if (!latInput.value.trim() || !lonInput.value.trim()) {
        event.preventDefault();
        showVillage(_("Drop a pin on the map or type coordinates before sending"), "outside");
        villageLine.scrollIntoView({ block: "center" });
        return;
      }
      if (inside === false) {
        event.preventDefault();
        villageLine.scrollIntoView({ block: "center" });
        return;
      }
    }
    if (following && photosInput) photosInput.disabled = true; // a +1 sends no photos
    sent = true;
    const button = event.submitter || submitButton;
    button.textContent = _("Sending…");
    // Disable after the browser has taken the submitter's formaction.
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }), 0);
  });
  // Back from the status page (bfcache): the form may be used again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });

  const error = document.getElementById("form-error");
  if (error) error.focus();
})();
