// The page's words in the reader's language, from the same gettext catalogues as the server's
// (mapdash/i18n.py embeds the messages of static/js in every page, #mapdash-messages).
// _("Case %(code)s is closed", {code}) works as in Python; pgettext for the few English words
// that need two translations. An unknown message shows in English, never breaks the page.
(function () {
  "use strict";
  const node = document.getElementById("mapdash-messages");
  const catalogue = node ? JSON.parse(node.textContent) : {};
  const fill = (text, params) => (params
    ? text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole))
    : text);
  const lookup = (key, fallback) =>
    (Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : fallback);
  window.mapdash = {
    lang: document.documentElement.lang || "th",
    _: (msgid, params) => fill(lookup(msgid, msgid), params),
    pgettext: (context, msgid, params) => fill(lookup(`${context}\u0004${msgid}`, msgid), params),
  };
})();
