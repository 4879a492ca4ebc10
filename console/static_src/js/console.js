// Console behaviour shared by every page. No inline scripts (CSP script-src 'self'): pages carry data
// in data-* attributes and this file wires them up.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    // Print buttons.
    document.addEventListener("click", function (ev) {
      var t = ev.target.closest("[data-print]");
      if (t) { ev.preventDefault(); window.print(); }
    });

    // One submit: a form's submit button is disabled once the form is sent (the services are
    // idempotent anyway).
    document.addEventListener("submit", function (ev) {
      var b = ev.target.querySelector("button[data-once]");
      if (b) { window.setTimeout(function () { b.disabled = true; }, 0); }
    });

    // The dashboard's period picker shows the inputs of the chosen kind only.
    var picker = document.querySelector("[data-period-picker]");
    if (picker) {
      var kind = picker.querySelector("[data-period-kind]");
      var sync = function () {
        picker.querySelectorAll("[data-for-kind]").forEach(function (el) {
          var kinds = el.getAttribute("data-for-kind").split(" ");
          var on = kinds.indexOf(kind.value) >= 0;
          el.hidden = !on;
          el.querySelectorAll("input").forEach(function (i) { i.disabled = !on; });
        });
        var n = picker.querySelector("input[name=n]");
        if (n) { n.max = { month: 12, quarter: 4, half: 2 }[kind.value] || 12; }
      };
      kind.addEventListener("change", sync);
      sync();
    }
  });
})();
