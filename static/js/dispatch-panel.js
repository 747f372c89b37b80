// The case panel beside the map: the server renders it (templates/dispatch/_panel.html);
// this loads it, sends its workflow actions and shows the server's refusals as they come.
(function () {
  "use strict";
  const { _, pgettext } = window.mapdash;
  const panel = document.getElementById("case-panel");
  const list = document.getElementById("case-list");
  let options = null;
  let openId = null;
  let loads = 0;  // panel loads started: only the newest is drawn (see reload)

  function panelUrl(id) { return options.urls.panel.replace(/\/0$/, `/${id}`); }

  async function load(id) {
    const response = await fetch(panelUrl(id), { headers: { Accept: "text/html" } });
    if (response.status === 404) throw new Gone();
    if (!response.ok) throw new Error(String(response.status));
    return response.text();
  }

  // The case is no longer this reader's to see: another dispatcher forwarded it to another
  // organization, or moved it out of their department.
  class Gone extends Error {}
  function showGone() {
    const note = document.createElement("p");
    note.className = "panel-gone";
    note.setAttribute("role", "status");
    note.textContent = _("This case is no longer on your map: it was forwarded to another organization or moved to another department.");
    const back = document.createElement("button");
    back.type = "button";
    back.textContent = _("Back to the list");
    back.addEventListener("click", close);
    panel.replaceChildren(note, back);
  }

  async function open(id) {
    openId = id;
    loads += 1;  // a reload still on its way is of the case as it was
    panel.hidden = false;
    list.hidden = true;
    panel.setAttribute("aria-busy", "true");
    try {
      const html = await load(id);
      if (openId !== id) return;  // another case was opened meanwhile
      panel.innerHTML = html;
      panel.scrollTop = 0;
      wire();
    } catch (error) {
      if (error instanceof Gone) showGone();
      else panel.textContent = _("That did not work: please try again");
    } finally {
      panel.removeAttribute("aria-busy");
    }
    options.onOpen(id, panel.querySelector(".panel"));
  }

  function close() {
    openId = null;
    panel.hidden = true;
    panel.replaceChildren();
    list.hidden = false;
    options.onClose();
  }

  // Reloading (another dispatcher moved the case) keeps what the reader was doing: the
  // scroll, the actions they had opened and what they had typed or chosen there.
  // Only the newest load is drawn: a poll's load that started before an action was taken may
  // answer after the action's own, with the case as it was, and close what the reader opened.
  async function reload() {
    if (openId === null) return;
    const id = openId;
    const mine = ++loads;
    try {
      const html = await load(id);
      if (openId !== id || mine !== loads) return;
      const keepScroll = panel.scrollTop;
      const opened = [...panel.querySelectorAll("details[open]")].map((d) => d.closest("form").className);
      const typed = [...panel.querySelectorAll("form[data-action-form] [name]:not([type=hidden])")]
        .map((field) => [field.closest("form").className, field.name, field.value]);
      panel.innerHTML = html;
      opened.forEach((name) => {
        const details = panel.querySelector(`form[class="${name}"] details`);
        if (details) details.open = true;
      });
      typed.forEach(([name, field, value]) => {
        const input = panel.querySelector(`form[class="${name}"] [name="${field}"]`);
        if (input) input.value = value;
      });
      panel.scrollTop = keepScroll;
      wire();
    } catch (error) {
      if (error instanceof Gone && openId === id && mine === loads) showGone();
      /* otherwise the next change will try again */
    }
  }

  function message(body) {
    if (body && body.message_th) return options.labels.lang === "en" ? body.message_en : body.message_th;
    return _("That did not work: please try again");
  }

  // Every workflow action goes to the server, which alone decides; its refusal is shown
  // next to the button, in Thai (or English).
  async function submit(form, event) {
    event.preventDefault();
    const error = form.querySelector(".form-error");
    const button = form.querySelector("button[type=submit]");
    error.hidden = true;
    button.disabled = true;
    try {
      const response = await fetch(form.getAttribute("action"), {  // form.action is its "action" input
        method: "POST", body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": options.csrf },
      });
      const body = await response.json().catch(() => null);
      if (response.status === 404) {
        showGone();
        return;
      }
      if (!response.ok) {
        error.textContent = message(body);
        error.hidden = false;
        return;
      }
      form.reset();  // done: fold it away, empty
      const details = form.querySelector("details");
      if (details) details.open = false;
      if (body && body.gone) close();  // forwarded: no longer ours to see
      else await reload();
      options.onChanged();
    } catch (failure) {
      error.textContent = _("That did not work: please try again");
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function wire() {
    const close_ = panel.querySelector("[data-close]");
    if (close_) close_.addEventListener("click", close);
    panel.querySelectorAll("form[data-action-form]").forEach((form) => {
      form.addEventListener("submit", (event) => submit(form, event));
    });
    // A response template fills the message, which the dispatcher edits before sending.
    panel.querySelectorAll("select[data-template-picker]").forEach((picker) => {
      picker.addEventListener("change", () => {
        const chosen = picker.selectedOptions[0];
        if (!chosen || !chosen.value) return;
        const note = picker.closest("form").querySelector("textarea[name=note]");
        note.value = chosen.dataset.text;
        note.focus();
      });
    });
    // The PDF opens in a new tab; its print is recorded in the timeline.
    panel.querySelectorAll("form[data-print]").forEach((form) => {
      form.addEventListener("submit", () => setTimeout(reload, 1500));
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && openId !== null) close();
  });

  window.DispatchPanel = {
    init(opts) { options = opts; },
    open,
    close,
    reload,
    get openId() { return openId; },
  };
})();
