// A photo the worker is still cleaning (cases/photo_processing.py) shows a placeholder; its
// thumbnail answers 404 until the clean copy exists. Try it every few seconds and put the
// photo in the placeholder's place once it loads, so nobody has to reload the page.
(function () {
  "use strict";
  const EVERY_MS = 3000;
  const TRIES = 40;  // two minutes: a photo takes about a second

  function watch(placeholder) {
    let tries = 0;
    function attempt() {
      const image = new Image();
      image.alt = placeholder.dataset.alt || "";
      image.onload = function () {
        const link = document.createElement("a");
        link.href = placeholder.dataset.photo;
        link.appendChild(image);
        placeholder.replaceWith(link);
      };
      image.onerror = function () {
        tries += 1;
        if (tries < TRIES) {
          window.setTimeout(attempt, EVERY_MS);
        }
      };
      image.src = placeholder.dataset.thumb + "?try=" + tries;  // a 404 is not reused
    }
    window.setTimeout(attempt, EVERY_MS / 3);
  }

  document.querySelectorAll(".photo-pending[data-thumb]").forEach(watch);
})();
