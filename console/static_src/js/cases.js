// The case board: "tick all" and the count of ticked cases beside the bulk-assign form (the table is
// swapped by htmx on filtering and paging, so the handlers are delegated).
(function () {
  "use strict";

  function sync() {
    var n = document.querySelectorAll("input[name=case][form=bulk-assign]:checked").length;
    var out = document.querySelector("[data-bulk-count]");
    if (out) { out.textContent = n ? "(" + n + ")" : ""; }
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("[data-tick-all]")) {
      document.querySelectorAll("input[name=case][form=bulk-assign]").forEach(function (box) { box.checked = t.checked; });
    }
    sync();
  });
  document.addEventListener("htmx:afterSwap", sync);
  document.addEventListener("DOMContentLoaded", sync);
})();
