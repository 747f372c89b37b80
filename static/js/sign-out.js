// Signing out forgets what the crew page kept for use without signal (the page, my cases,
// the citizens' photos): the next person holding this phone must not read them offline.
// Closings still waiting to be sent stay (they are sent when the same crew member signs in
// again), but the crew member is told first.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const form = document.getElementById("sign-out");
  if (!form) return;

  async function forgetOfflineCopies() {
    if (!("caches" in window)) return;
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("mapdash-crew-"))
      .map((name) => caches.delete(name)));
  }

  async function waitingCount() {
    if (!window.CrewOutbox) return 0;
    try { return (await window.CrewOutbox.all(Number(form.dataset.user))).length; } catch (e) { return 0; }
  }

  form.addEventListener("submit", async (event) => {
    if (form.dataset.forgotten) return;
    event.preventDefault();
    const waiting = await waitingCount();
    if (waiting && !window.confirm(_("%(n)s closing(s) are not sent yet; they will be sent when you sign in again on this phone. Sign out?", { n: waiting }))) return;
    try { await forgetOfflineCopies(); } catch (e) { /* nothing kept, or storage refused */ }
    form.dataset.forgotten = "1";
    form.submit();
  });
})();
