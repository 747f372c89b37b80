// The crew's offline map pack (issue 17): while there is signal, the phone keeps the background
// tiles of its area in Cache Storage ("mapdash-map-pack"), and the service worker (crew-sw.js)
// answers the map's tile requests from there, so the map shows roads without signal.
// The server says which tiles (/crew/map-pack.json: the tambon, around my cases, within the
// admin's zoom and size cap); this downloads them two at a time (the tile servers' usage
// policies ask for no more), with CORS so that each tile's real size is known and counted
// against the cap (an opaque answer's size is hidden, and browsers count it as megabytes).
window.CrewMapPack = (function () {
  "use strict";
  const { _ } = window.mapdash;
  const CACHE = "mapdash-map-pack";
  const AT_ONCE = 2;
  const GIVE_UP_AFTER = 20;       // failures in a row: no signal, or the server refuses us
  const REMOVED = "mapdash-map-pack-removed";  // the crew removed it: do not fetch it again
  const POSITION_WAIT_MS = 10000;

  let page = null;
  let positionOf = () => null;
  let running = null;             // {stop: bool} while downloading
  const $ = (id) => document.getElementById(id);

  const metaKey = () => new URL("map-pack/meta.json", new URL(page.urls.scope, location.href)).href;
  const megabytes = (bytes) => (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0);
  const number = (n) => n.toLocaleString(page.lang === "en" ? "en-GB" : "th-TH");
  const dateFormat = () => new Intl.DateTimeFormat(page.lang === "en" ? "en-GB" : "th-TH-u-ca-buddhist", {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
    timeZone: "Asia/Bangkok" });

  async function readMeta() {
    if (!("caches" in window)) return null;
    const saved = await caches.match(metaKey(), { cacheName: CACHE });
    return saved ? saved.json() : null;
  }

  async function writeMeta(cache, meta) {
    await cache.put(metaKey(), new Response(JSON.stringify(meta),
                                            { headers: { "Content-Type": "application/json" } }));
  }

  // ---- what the crew sees ------------------------------------------------------------------
  function show(state, meta, progress) {
    const box = $("map-pack");
    box.dataset.state = state;
    $("map-pack-progress").hidden = state !== "downloading";
    $("map-pack-download").hidden = state !== "none" || !navigator.onLine;
    $("map-pack-refresh").hidden = state !== "ready" || !navigator.onLine;
    $("map-pack-remove").hidden = state !== "ready";
    $("map-pack-stop").hidden = state !== "downloading";
    const text = $("map-pack-text");
    if (state === "downloading" && !progress.total) {
      $("map-pack-progress").removeAttribute("value");  // moving, without a length yet
      text.textContent = _("Checking the offline map…");
    } else if (state === "downloading") {
      const bar = $("map-pack-progress");
      bar.max = progress.total;
      bar.value = progress.done;
      text.textContent = _("Downloading the offline map: %(n)s of %(total)s tiles, %(mb)s MB", {
        n: number(progress.done), total: number(progress.total), mb: megabytes(progress.bytes) });
    } else if (state === "ready") {
      text.textContent = _("Offline map: %(n)s tiles, %(mb)s MB, saved %(when)s", {
        n: number(meta.tiles), mb: megabytes(meta.bytes), when: dateFormat().format(new Date(meta.savedAt)) })
        + (meta.capped ? ` ${_("(stopped at the size limit)")}` : "");
    } else if (state === "unsupported") {
      text.textContent = _("This browser cannot keep a map for use without signal");
    } else {
      text.textContent = navigator.onLine
        ? _("No offline map on this phone: without signal the map has no background")
        : _("No offline map on this phone: download it when there is signal");
    }
  }

  function failed(message) {
    readMeta().then((meta) => {
      show(meta ? "ready" : "none", meta);
      $("map-pack-text").textContent = `${message} ${$("map-pack-text").textContent}`;
    });
  }

  // ---- downloading -------------------------------------------------------------------------
  async function tileList() {
    const url = new URL(page.urls.map_pack, location.href);
    const position = positionOf();
    if (position) {
      url.searchParams.set("lat", position.lat.toFixed(6));
      url.searchParams.set("lon", position.lon.toFixed(6));
    }
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  async function fetchTile(url) {
    // No cookies and no Referer path go to the tile server; the browser's User-Agent does.
    const response = await fetch(url, { mode: "cors", credentials: "omit" });
    if (!response.ok) throw new Error(String(response.status));
    const blob = await response.blob();
    return { blob, type: response.headers.get("Content-Type") || blob.type || "image/png" };
  }

  // Every tile of the list (all: again, for fresh map data; else only those not kept yet),
  // within the cap counted in real bytes; tiles no longer in the list are removed.
  async function sync(all) {
    if (running) return;
    const run = { stop: false };
    running = run;
    show("downloading", null, { done: 0, total: 0, bytes: 0 });  // asking which tiles
    try {
      const pack = await tileList();
      const cache = await caches.open(CACHE);
      const old = (await readMeta()) || { sizes: {} };
      const urls = pack.tiles.map(([, , , url]) => new URL(url, location.href).href);
      const sizes = {};
      let bytes = 0;
      const todo = [];
      for (const url of urls) {
        if (!all && old.sizes[url] !== undefined) {
          sizes[url] = old.sizes[url];
          bytes += sizes[url];
        } else {
          todo.push(url);
        }
      }
      const progress = { done: urls.length - todo.length, total: urls.length, bytes };
      let capped = !pack.complete;
      let failures = 0;
      let next = 0;
      show("downloading", null, progress);
      const worker = async () => {
        while (next < todo.length && !run.stop && failures < GIVE_UP_AFTER) {
          // Not one more tile than fits: the average so far says what the next one weighs.
          const count = Object.keys(sizes).length;
          if (count && bytes + bytes / count > pack.max_bytes) { capped = true; break; }
          const url = todo[next++];
          try {
            const tile = await fetchTile(url);
            if (bytes + tile.blob.size > pack.max_bytes) { capped = true; run.stop = true; break; }
            // Counted before waiting for the cache: the other download checks against it.
            bytes += tile.blob.size;
            sizes[url] = tile.blob.size;
            try {
              await cache.put(url, new Response(tile.blob, { headers: { "Content-Type": tile.type } }));
            } catch (error) {
              bytes -= tile.blob.size;
              delete sizes[url];
              throw error;
            }
            failures = 0;
          } catch (error) {
            if (old.sizes[url] !== undefined) { sizes[url] = old.sizes[url]; bytes += sizes[url]; }
            failures += 1;
          }
          progress.done += 1;
          progress.bytes = bytes;
          show("downloading", null, progress);
        }
      };
      await Promise.all(Array.from({ length: AT_ONCE }, worker));
      // What the list no longer has goes (a case closed, a lower zoom or cap).
      const keep = new Set(Object.keys(sizes));
      await Promise.all((await cache.keys()).map((request) => request.url)
        .filter((url) => url !== metaKey() && !keep.has(url)).map((url) => cache.delete(url)));
      const meta = { tiles: keep.size, bytes, sizes, capped, maxZoom: pack.max_zoom,
                     savedAt: new Date().toISOString() };
      if (keep.size) await writeMeta(cache, meta); else await caches.delete(CACHE);
      localStorage.removeItem(REMOVED);
      if (failures >= GIVE_UP_AFTER) {
        failed(navigator.onLine
          ? _("The map server did not answer or does not allow downloads.")
          : _("The signal was lost: the rest of the map is downloaded next time."));
      } else {
        show(keep.size ? "ready" : "none", meta);
      }
    } catch (error) {
      failed(_("Could not download the offline map: try again when there is signal."));
    } finally {
      running = null;
      const box = $("map-pack");
      box.dataset.syncs = String(Number(box.dataset.syncs || 0) + 1);  // for the tests
    }
  }

  async function remove() {
    if (running) running.stop = true;
    await caches.delete(CACHE);
    localStorage.setItem(REMOVED, "1");
    show("none");
  }

  // ---- start -------------------------------------------------------------------------------
  // Beyond the pack's zoom, without signal, Leaflet enlarges the pack's most detailed tiles.
  function useForOffline(map, meta) {
    if (navigator.onLine || !meta) return;
    map.eachLayer((layer) => {
      if (layer instanceof L.TileLayer) layer.options.maxNativeZoom = meta.maxZoom;
    });
    map.fire("viewprereset");
    map.fire("viewreset");
  }

  async function init(pageData, map, getPosition) {
    page = pageData;
    positionOf = getPosition;
    if (!("caches" in window) || !("serviceWorker" in navigator)) { show("unsupported"); return; }
    $("map-pack-download").addEventListener("click", () => sync(false));
    $("map-pack-refresh").addEventListener("click", () => sync(true));
    $("map-pack-remove").addEventListener("click", remove);
    $("map-pack-stop").addEventListener("click", () => { if (running) running.stop = true; });
    const meta = await readMeta();
    show(meta ? "ready" : "none", meta);
    useForOffline(map, meta);
    window.addEventListener("online", () => readMeta().then((m) => { if (!running) show(m ? "ready" : "none", m); }));
    window.addEventListener("offline", () => readMeta().then((m) => { if (!running) show(m ? "ready" : "none", m); }));
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    // With signal, keep the pack whole: the first time all of it, later only what is missing
    // (a new case far away). Not after the crew removed it. The cases near me are in it when
    // my position is known: wait a little for it.
    if (navigator.onLine && !localStorage.getItem(REMOVED)) {
      const waitingSince = Date.now();
      const start = () => {
        if (positionOf() || Date.now() - waitingSince > POSITION_WAIT_MS) sync(false);
        else setTimeout(start, 250);
      };
      start();
    }
  }

  return { init, sync, remove };
})();
