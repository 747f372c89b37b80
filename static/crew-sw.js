// The crew page's service worker (served at /crew/sw.js, scope /crew/).
// Keeps the crew page, its assets and my cases for use without signal: the network first
// (with a short wait, the signal in the hills is weak), the saved copy when it fails.
// Leaflet, case photos and type icons rarely change: the saved copy first. Posts are never
// touched here: the outbox (crew-outbox.js) keeps closings and sends them, from the page or from "sync".
// Map tiles come from the offline map pack when it has them (crew-map-pack.js fills it).
// ADDRESSES and VERSION come first, written by the server (mapdash/views/crew.py): the
// files' addresses carry their content's hash, so a changed file is a new worker and a new cache.
importScripts(ADDRESSES.outbox);

const CACHE = `mapdash-crew-${VERSION}`;
const MAP_PACK = "mapdash-map-pack";  // not "mapdash-crew-": a new worker keeps it
const PAGE = "/crew/";
const CASES = "/crew/cases.json";
const TOKEN = "/crew/token.json";
const VILLAGES = "/api/villages.geojson";
const SHELL = ADDRESSES.shell;
const NETWORK_WAIT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(SHELL))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("mapdash-crew-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

// The saved copy, marked so the page can say it is showing what the phone kept.
async function savedCopy(request, key) {
  const cached = await caches.match(key || request, { ignoreSearch: true });
  if (!cached) return Response.error();
  const headers = new Headers(cached.headers);
  headers.set("X-Crew-Offline", "1");
  return new Response(await cached.blob(), { status: cached.status, statusText: cached.statusText, headers });
}

async function networkFirst(event, key) {
  const request = event.request;
  const fetching = fetch(request).then(async (response) => {
    // A redirect (a page) or 401 (the JSON) means "sign in": the session ended (signed out
    // elsewhere, expired), so forget everything kept for it, and never keep the sign-in page
    // as the crew page.
    if (response.redirected || response.status === 401) {
      await caches.delete(CACHE);
    } else if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(key || request, response.clone());
    }
    return response;
  });
  event.waitUntil(fetching.catch(() => null));
  try {
    return await withTimeout(fetching, NETWORK_WAIT_MS);
  } catch (error) {
    return savedCopy(request, key);
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

// A tile the pack has is answered from it, with signal too: the tile server is asked less.
async function fromMapPack(request) {
  const kept = await caches.match(request.url, { cacheName: MAP_PACK });
  return kept || fetch(request);
}

function isMapTile(request, url) {
  return request.destination === "image" && (url.origin !== self.location.origin ||
    !["/photos/", "/static/", "/vendor/", "/crew/"].some((path) => url.pathname.startsWith(path)));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method === "GET" && isMapTile(request, url)) {
    event.respondWith(fromMapPack(request));
    return;
  }
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname === TOKEN) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(event, PAGE));
  } else if (url.pathname === CASES || url.pathname === VILLAGES) {
    // One saved copy, whatever position it was asked for: the page re-sorts it by distance.
    event.respondWith(networkFirst(event, url.pathname));
  } else if (["/vendor/", "/photos/", "/static/icons/"].some((path) => url.pathname.startsWith(path)) ||
             (url.pathname.startsWith("/static/") && url.searchParams.has("v"))) {
    // A fingerprinted file (?v=) never changes under its address; photos and icons hardly.
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkFirst(event));
  }
});

// Background Sync: the browser wakes us when the signal is back, even with the page closed.
self.addEventListener("sync", (event) => {
  if (event.tag !== "crew-outbox") return;
  const tell = (message) => self.clients.matchAll({ type: "window" })
    .then((clients) => clients.forEach((client) => client.postMessage(message)));
  event.waitUntil(self.CrewOutbox.flush(TOKEN, undefined, {
    sent: (item, answer) => tell({ type: "outbox-sent", item: { key: item.key, kind: item.kind, caseId: item.caseId }, answer }),
    failed: () => tell({ type: "outbox-failed" }),
    conflict: (item, answer) => tell({ type: "outbox-conflict", answer,
                                       item: { key: item.key, caseId: item.caseId, code: item.code } }),
    signIn: () => {},
  }).then((outcome) => {
    // Ask the browser to wake us again if the signal went away before the end.
    if (outcome === "offline" || outcome === "retry") throw new Error(outcome);
  }));
});
