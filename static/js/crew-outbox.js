// The crew's outbox: work done on the phone (start, close with photos) is kept in IndexedDB
// first and sent from here, so nothing is lost without signal. Each item carries the key the
// server uses to recognise a repeat, so sending one twice (page and service worker, or a lost
// answer) still makes one closing. Loaded by the page and by the service worker.
// The crew's shared positions (crew-position.js) wait here too, as items of kind "position":
// sent in the same order, but not listed with the cases' work, and dropped when refused.
(function (scope) {
  "use strict";
  const DB_NAME = "mapdash-crew";
  const STORE = "outbox";
  const LOCK = "mapdash-crew-outbox";

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function withStore(mode, work) {
    return openDb().then((db) => new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
      transaction.onerror = () => { db.close(); reject(transaction.error); };
      transaction.onabort = () => { db.close(); reject(transaction.error); };
    }));
  }

  const isPosition = (item) => item.kind === "position";

  function everything(crewId) {
    return withStore("readonly", (store) => store.getAll()).then((items) => items
      .filter((item) => crewId === undefined || item.crew === crewId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
  }

  // The cases' work waiting (starts, closings), oldest first.
  const all = (crewId) => everything(crewId).then((items) => items.filter((item) => !isPosition(item)));
  // The positions waiting, oldest first.
  const positions = (crewId) => everything(crewId).then((items) => items.filter(isPosition));

  const put = (item) => withStore("readwrite", (store) => store.put(item));
  const remove = (key) => withStore("readwrite", (store) => store.delete(key));

  // A redirect to the sign-in page (the session ended) answers HTML, not JSON.
  function signedOut(response) {
    const type = response.headers.get("Content-Type") || "";
    return response.redirected || response.status === 401 || !type.includes("json");
  }

  async function freshToken(tokenUrl) {
    const response = await fetch(tokenUrl, { credentials: "same-origin", cache: "no-store",
                                             headers: { Accept: "application/json" } });
    if (signedOut(response)) return null;
    if (!response.ok) throw new Error(`token: ${response.status}`);
    return (await response.json()).csrf_token;
  }

  function send(item, token) {
    const body = new FormData();
    Object.entries(item.fields).forEach(([name, value]) => body.append(name, value));
    (item.photos || []).forEach((photo, i) => body.append("photos", photo.blob, photo.name || `photo-${i + 1}.jpg`));
    return fetch(item.url, { method: "POST", body, credentials: "same-origin",
                             headers: { "X-CSRFToken": token, Accept: "application/json" } });
  }

  // Send what is waiting, oldest first. Stops at the first network failure (the rest waits
  // for the signal); an item the server refuses (4xx) is marked failed for the crew to see,
  // but a closing whose key already closed the case with other content (409
  // closing_conflict) is dropped: the server kept the first, sent back for the crew to read.
  // A position the server refuses (outside the area, too imprecise) is dropped: sending it
  // again cannot help, and the crew has nothing to correct.
  // hooks: sent(item, answer), failed(item, answer), conflict(item, answer), signIn(), and
  // position(item, answer, outcome) for positions ("sent" or "refused"). only: which items
  // to send (default: all).
  async function flushNow(tokenUrl, crewId, hooks, only) {
    const waiting = (await everything(crewId))
      .filter((item) => item.state !== "failed" && (!only || only(item)));
    if (!waiting.length) return "empty";
    let token;
    try {
      token = await freshToken(tokenUrl);
    } catch (error) {
      return "offline";
    }
    if (token === null) { hooks.signIn(); return "signed-out"; }
    for (const item of waiting) {
      let response;
      try {
        response = await send(item, token);
      } catch (error) {
        return "offline";
      }
      if (signedOut(response)) { hooks.signIn(); return "signed-out"; }
      const answer = await response.json().catch(() => ({}));
      if (response.status >= 500 || response.status === 429 || answer.error === "csrf") {
        return "retry";  // the server's trouble, not the item's: try again later
      } else if (isPosition(item)) {
        await remove(item.key);
        if (hooks.position) hooks.position(item, answer, response.ok ? "sent" : "refused");
      } else if (response.ok) {
        await remove(item.key);
        hooks.sent(item, answer);
      } else if (response.status === 409 && answer.error === "closing_conflict") {
        await remove(item.key);  // sending it again can never store it
        hooks.conflict(item, answer);
      } else {
        item.state = "failed";
        item.answer = answer;
        await put(item);
        hooks.failed(item, answer);
      }
    }
    return "done";
  }

  // One sender at a time per phone (page and service worker share the lock).
  function flush(tokenUrl, crewId, hooks, only) {
    const run = () => flushNow(tokenUrl, crewId, hooks, only);
    return scope.navigator && scope.navigator.locks ? scope.navigator.locks.request(LOCK, run) : run();
  }

  scope.CrewOutbox = { all, positions, put, remove, flush };
})(self);
