// The reply code a citizen is given when they report (mapdash/cases/replies.py): kept in this
// browser's localStorage, by tracking code, so the status page can fill it in when the staff
// ask a question or it is resolved, days later, in a browser session the server no longer remembers.
(function () {
  "use strict";
  const KEY = "mapdash.replyCodes";
  const KEEP = 20;  // the newest reports' codes

  function kept() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "{}") || {};
    } catch (error) {
      return {};  // storage refused (private mode) or spoiled: the code is typed instead
    }
  }

  function keep(trackingCode, replyCode) {
    const codes = kept();
    delete codes[trackingCode];
    codes[trackingCode] = replyCode;
    const newest = Object.entries(codes).slice(-KEEP);
    try {
      window.localStorage.setItem(KEY, JSON.stringify(Object.fromEntries(newest)));
    } catch (error) { /* the page still shows it, to write down */ }
  }

  const box = document.getElementById("reply-code-box");
  if (box) keep(box.dataset.trackingCode, box.dataset.replyCode);

  // The answer form's field, and the rating and "not fixed" forms' (cases/ratings.py).
  document.querySelectorAll("input[name=reply_code][data-tracking-code]").forEach((input) => {
    const code = kept()[input.dataset.trackingCode];
    if (code && !input.value) input.value = code;
  });
})();
