// Progress bars take their width from data-progress: the Content-Security-Policy refuses style=""
// attributes, but a width set from a script, as here, is allowed.
(function () {
  "use strict";

  function fill() {
    document.querySelectorAll(".progress-bar[data-progress]").forEach(function (bar) {
      bar.style.width = bar.dataset.progress + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", fill);
  // htmx polls the import and slip-batch bars every second and swaps in new ones: fill them before
  // they are painted (afterSwap), so that a bar does not grow from nothing each time.
  document.addEventListener("htmx:afterSwap", fill);
})();
