// The alarm for new emergencies (EMS, fire, disaster): a red bar and a beep every few
// seconds, for as long as the server lists an emergency case nobody has accepted yet.
// Accepting it (here, in the case panel, or on another dispatcher's screen) silences it.
// The beep is made with Web Audio: no sound file to load.
// Every new case, emergency or not, is also counted on a badge (since the page was opened or
// the badge last pressed) with a quiet chime, which the dispatcher may switch off: the choice
// is kept in this browser (localStorage).
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const BEEP_EVERY_MS = 4000;
  const bar = document.getElementById("alert-bar");
  const list = document.getElementById("alert-list");
  const hint = document.getElementById("sound-hint");
  let audio = null;
  let timer = null;
  let handlers = { view: () => {}, accept: () => {} };
  let labels = {};
  let icons = {};

  function context() {
    if (!audio) {
      const AudioContext = window.AudioContext || window.webkitAudioContext;
      if (!AudioContext) return null;
      audio = new AudioContext();
    }
    return audio;
  }

  // Browsers keep sound off until the person has clicked or typed on the page.
  function unlock() {
    const ctx = context();
    if (ctx && ctx.state === "suspended") ctx.resume().then(showHint);
  }
  document.addEventListener("pointerdown", unlock);
  document.addEventListener("keydown", unlock);

  function showHint() {
    hint.hidden = !(audio && audio.state !== "running" && !bar.hidden);
  }

  function beep() {
    const ctx = context();
    bar.dataset.beeps = String(Number(bar.dataset.beeps || 0) + 1);
    showHint();
    if (!ctx || ctx.state !== "running") return;
    // Two short high tones, like a pager: heard over an office, not painful.
    [0, 0.25].forEach((offset) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = 880;
      const start = ctx.currentTime + offset;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    });
  }

  function item(alert) {
    const li = document.createElement("li");
    li.dataset.caseId = alert.id;
    const icon = document.createElement("img");
    icon.src = icons[alert.icon];
    icon.alt = "";
    const text = document.createElement("span");
    const name = labels.lang === "en" && alert.category_en ? alert.category_en : alert.category_th;
    const place = alert.village ? `${pgettext("col.village", "Village")} ${alert.village} ${alert.village_th}` : _("No village");
    const time = new Date(alert.created_at).toLocaleTimeString(labels.lang === "en" ? "en-GB" : "th-TH",
      { hour: "2-digit", minute: "2-digit" });
    text.textContent = `${name} · ${place} · ${time} · ${alert.code}`;
    const view = document.createElement("button");
    view.type = "button";
    view.className = "ghost";
    view.textContent = pgettext("dispatch.alert_view", "View");
    view.addEventListener("click", () => handlers.view(alert));
    const accept = document.createElement("button");
    accept.type = "button";
    accept.className = "alert-accept";
    accept.textContent = _("Acknowledge and accept");
    accept.addEventListener("click", () => {
      accept.disabled = true;
      handlers.accept(alert).finally(() => { accept.disabled = false; });
    });
    li.append(icon, text, view, accept);
    return li;
  }

  // --- every new case: the badge and the quiet chime ---------------------------------------
  const SOUND_KEY = "mapdash.dispatch.newCaseSound";
  const badge = document.getElementById("new-badge");
  const soundToggle = document.getElementById("sound-toggle");
  const fresh = new Set();     // ids of the cases counted on the badge
  let lookedAt = Date.parse(document.getElementById("dispatch").dataset.since);  // server time
  let serverNow = lookedAt;

  function soundOn() {
    try { return window.localStorage.getItem(SOUND_KEY) !== "off"; } catch (e) { return true; }
  }
  function drawSound() {
    const on = soundOn();
    soundToggle.setAttribute("aria-pressed", String(on));
    soundToggle.textContent = on ? _("Sound on") : _("Sound off");
  }
  soundToggle.addEventListener("click", () => {
    try { window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on"); } catch (e) { /* private mode */ }
    drawSound();
  });
  drawSound();

  const CHIME_GAP_MS = 3000;
  let lastChime = 0;
  function chime() {
    const ctx = context();
    badge.dataset.chimes = String(Number(badge.dataset.chimes || 0) + 1);
    if (!ctx || ctx.state !== "running") return;
    // One soft falling tone: noticed at the desk, not heard across the office.
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    const start = ctx.currentTime;
    osc.frequency.setValueAtTime(740, start);
    osc.frequency.exponentialRampToValueAtTime(520, start + 0.35);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.06, start + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.42);
  }

  function drawBadge() {
    badge.hidden = fresh.size === 0;
    badge.dataset.count = String(fresh.size);
    badge.textContent = _("%(count)s new", { count: fresh.size });
  }
  badge.addEventListener("click", () => {  // looked at: count from now on
    lookedAt = serverNow;
    fresh.clear();
    drawBadge();
  });

  window.DispatchAlert = {
    // `changed`: the cases the server says changed; `now`: the server's time of that answer.
    newCases(changed, now) {
      serverNow = Date.parse(now);
      const arrived = changed.filter((c) => Date.parse(c.created_at) > lookedAt && !fresh.has(c.id));
      arrived.forEach((c) => fresh.add(c.id));
      drawBadge();
      // Pushed changes come one by one: a burst of reports chimes once, as one poll did.
      if (arrived.length && soundOn() && Date.now() - lastChime >= CHIME_GAP_MS) {
        lastChime = Date.now();
        chime();
      }
    },
    init(options) {
      handlers = options.handlers;
      labels = options.labels;
      icons = options.icons;
    },
    // `alerts`: the server's current list of unaccepted emergencies (newest first).
    update(alerts) {
      list.replaceChildren(...alerts.map(item));
      bar.hidden = alerts.length === 0;
      bar.dataset.count = String(alerts.length);
      if (alerts.length && !timer) {
        beep();
        timer = setInterval(beep, BEEP_EVERY_MS);
      } else if (!alerts.length && timer) {
        clearInterval(timer);
        timer = null;
      }
      showHint();
    },
  };
})();
