// Sharing my position with the dispatchers while on duty (mapdash/field/positions.py).
// On: the phone's position goes out every minute, or sooner after a move of 100 m, through
// the crew's outbox (crew-outbox.js), so positions taken without signal are sent when it
// comes back. Off: nothing is taken or sent, and the dispatchers' map stops showing me.
// The choice is remembered on this phone, so a reload keeps sharing until the crew stops it.
(function () {
  "use strict";
  const { _ } = window.mapdash;
  const Outbox = window.CrewOutbox;
  const bar = document.getElementById("crew-sharing");
  if (!bar || !Outbox) return;
  const $ = (id) => document.getElementById(id);
  const urls = JSON.parse(bar.dataset.urls);
  const crew = Number(bar.dataset.crew);
  const lang = document.documentElement.lang === "en" ? "en" : "th";
  const CHOICE = `mapdash-crew-sharing-${crew}`;
  const EVERY_MS = 60000;
  const MOVE_M = 100;
  const MAX_ACCURACY_M = 1000;   // the server refuses worse (positions.MAX_ACCURACY_M)
  const MAX_WAITING = 720;       // 12 hours of positions without signal; older ones are dropped

  let sharing = false;
  let watch = null;
  let lastQueued = null;   // {lat, lon, at}: the last position put in the outbox
  let lastSent = null;     // Date the server last took one
  let waitingCount = 0;
  let problem = "";        // why the last position could not be used (imprecise, refused)
  let denied = false;
  let imprecise = false;   // the GPS has no position better than 1 km yet

  const timeFormat = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "th-TH",
    { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Bangkok" });

  function metres(a, b) {  // haversine
    const rad = Math.PI / 180;
    const h = Math.sin((b.lat - a.lat) * rad / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad)
      * Math.sin((b.lon - a.lon) * rad / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  function render() {
    const button = $("crew-sharing-toggle");
    let state = "off";
    let title = _("Not sharing your position");
    let detail = _("Dispatchers see where you are only while you share it");
    if (denied) {
      state = "denied";
      title = _("Your position is not allowed for this page");
      detail = _("Allow location for this site in the browser's settings, then share again");
    } else if (sharing) {
      state = lastSent && !waitingCount && !problem && !imprecise ? "on" : "waiting";
      title = _("Sharing your position with the dispatchers");
      if (imprecise) detail = _("Your position is not precise enough yet (worse than 1 km): waiting for the GPS");
      else if (problem) detail = problem;
      else if (waitingCount) detail = _("%(n)s positions wait for signal: they go by themselves", { n: waitingCount });
      else if (lastSent) detail = _("Last sent at %(time)s", { time: timeFormat.format(lastSent) });
      else detail = _("Waiting for your position…");
    }
    bar.dataset.state = state;
    $("crew-sharing-state").textContent = title;
    $("crew-sharing-detail").textContent = detail;
    button.textContent = sharing ? _("Stop sharing") : _("Share my position");
    button.setAttribute("aria-pressed", sharing ? "true" : "false");
  }

  const isPosition = (item) => item.kind === "position";
  const hooks = {
    position(item, answer, outcome) {
      if (item.url !== urls.position) return;  // a "stopped sharing" item
      if (outcome === "sent") {
        lastSent = new Date();
        problem = "";
      } else {
        problem = (lang === "en" ? answer.message_en : answer.message_th) || _("The position was not accepted");
      }
    },
    sent() {}, failed() {}, conflict() {},
    signIn() { problem = _("Please sign in again to keep sharing your position"); },
  };

  function countWaiting() {
    return Outbox.positions(crew).then((items) => { waitingCount = items.length; return items; });
  }

  let flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = Outbox.flush(urls.token, crew, hooks, isPosition)
      .catch(() => "retry")
      .then(countWaiting)
      .then(render)
      .finally(() => { flushing = null; });
    return flushing;
  }

  async function queue(url, fields) {
    await Outbox.put({ key: crypto.randomUUID(), kind: "position", crew, url, fields,
                       createdAt: new Date().toISOString() });
    const items = await countWaiting();
    // Hours without signal: keep the newest, the dispatcher needs where the crew is now.
    const extra = items.filter((item) => item.url === urls.position).slice(0, Math.max(items.length - MAX_WAITING, 0));
    await Promise.all(extra.map((item) => Outbox.remove(item.key)));
    return flush();
  }

  function onFix(found) {
    if (!sharing) return;
    denied = false;
    const fix = { lat: found.coords.latitude, lon: found.coords.longitude,
                  accuracy: found.coords.accuracy, at: found.timestamp || Date.now() };
    imprecise = !(fix.accuracy <= MAX_ACCURACY_M);
    if (imprecise) {
      render();
      return;
    }
    const due = !lastQueued || fix.at - lastQueued.at >= EVERY_MS - 5000 || metres(lastQueued, fix) >= MOVE_M;
    if (!due) return;
    lastQueued = fix;
    queue(urls.position, { lat: fix.lat.toFixed(6), lon: fix.lon.toFixed(6),
                           accuracy: Math.round(fix.accuracy), recorded_at: new Date(fix.at).toISOString() });
  }

  function onError(error) {
    if (error && error.code === 1) {  // PERMISSION_DENIED
      denied = true;
      setSharing(false, false);
    }
    render();
  }

  function ask() {
    navigator.geolocation.getCurrentPosition(onFix, onError,
      { enableHighAccuracy: true, maximumAge: 20000, timeout: 30000 });
  }

  function setSharing(on, tellServer) {
    sharing = on;
    if (on) {
      localStorage.setItem(CHOICE, "on");
      if (watch === null) {
        watch = navigator.geolocation.watchPosition(onFix, onError,
          { enableHighAccuracy: true, maximumAge: 30000, timeout: 60000 });
      }
      ask();
    } else {
      localStorage.removeItem(CHOICE);
      if (watch !== null) navigator.geolocation.clearWatch(watch);
      watch = null;
      lastQueued = null;
      lastSent = null;
      problem = "";
      imprecise = false;
      if (tellServer) queue(urls.stop, { stopped_at: new Date().toISOString() });
    }
    render();
  }

  $("crew-sharing-toggle").addEventListener("click", () => {
    if (!("geolocation" in navigator)) {
      problem = _("This phone cannot tell its position");
      render();
      return;
    }
    denied = false;
    setSharing(!sharing, sharing);
  });
  // Every minute: a fresh position even when standing still (the map then says "fresh"),
  // and what waited for signal.
  setInterval(() => {
    if (sharing) ask();
    if (waitingCount) flush();
  }, EVERY_MS);
  window.addEventListener("online", flush);

  countWaiting().then(() => {
    if (localStorage.getItem(CHOICE) === "on" && "geolocation" in navigator) setSharing(true, false);
    else render();
    if (waitingCount) flush();
  });
})();
