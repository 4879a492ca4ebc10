// ECharts from the project's own static files, fed by JSON in data-* attributes written by the view.
(function () {
  "use strict";
  if (!window.echarts) return;
  var ACCENT = "#1f5fa8", PLAN = "#9aa5b1";
  var CLASS_COLOURS = ["#3b7dd8", "#3b7dd8", "#2e9d4f", "#e0c000", "#f08c00", "#d03030"];
  var base = { textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, animation: false,
               grid: { left: 70, right: 20, top: 30, bottom: 60 }, tooltip: { trigger: "axis", renderMode: "richText" } };

  function draw(el, option) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
  }

  function read(el, attr) {
    var raw = el.getAttribute(attr);
    return raw ? JSON.parse(raw) : null;
  }

  var builders = {
    "use-plan": function (d) {
      return { legend: { data: [d.names.use, d.names.plan] }, xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value" },
        series: [{ name: d.names.use, type: "bar", data: d.use, itemStyle: { color: ACCENT } },
                 { name: d.names.plan, type: "line", data: d.plan, itemStyle: { color: PLAN }, connectNulls: false }] };
    },
    "class-history": function (d) {
      return { legend: { data: [d.names["class"]] }, xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", min: 1, max: 6, inverse: true, interval: 1,
                 axisLabel: { formatter: function (v) { return ["", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"][v] || ""; } } },
        series: [{ name: d.names["class"], type: "line", symbolSize: 14, lineStyle: { color: "#9aa5b1" },
                   data: d.classes.map(function (c) { return c === null ? null : { value: c, itemStyle: { color: CLASS_COLOURS[c - 1] } }; }),
                   markLine: d.target ? { symbol: "none", data: [{ yAxis: d.target, name: d.names.target }], label: { formatter: d.names.target },
                                          lineStyle: { color: "#d03030", type: "dashed" } } : undefined }] };
    },
    "intakes": function (d) {
      return { legend: { data: [d.names.use, d.names.plan], top: 0 }, grid: { left: 70, right: 20, top: 30, bottom: 120 },
        xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 35, interval: 0, width: 130, overflow: "truncate" } },
        yAxis: { type: "value" },
        series: [{ name: d.names.use, type: "bar", data: d.use, itemStyle: { color: ACCENT } },
                 { name: d.names.plan, type: "bar", data: d.plan, itemStyle: { color: PLAN } }] };
    },
    "monthly": function (d) {
      return { legend: { data: [d.names.use] }, xAxis: { type: "category", data: d.labels }, yAxis: { type: "value" },
        series: [{ name: d.names.use, type: "bar", data: d.use, itemStyle: { color: ACCENT } }] };
    },
    "cases": function (d) {
      var colours = ["#d03030", "#f08c00", "#e0c000", "#3b7dd8", "#7aa6d8", "#2e9d4f"];
      return { legend: { type: "scroll", top: 0 }, grid: { left: 150, right: 20, top: 40, bottom: 30 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
        yAxis: { type: "category", data: d.categories, axisLabel: { interval: 0, width: 140, overflow: "truncate" } },
        xAxis: { type: "value", minInterval: 1 },
        series: d.series.map(function (s, i) { return { name: s.name, type: "bar", stack: "s", data: s.data,
          itemStyle: { color: colours[i % colours.length] } }; }) };
    }
  };

  function init() {
    document.querySelectorAll("[data-chart-json]").forEach(function (el) {
      var b = builders[el.getAttribute("data-chart")];
      if (b) draw(el, b(read(el, "data-chart-json")));
    });
    var group = document.querySelector("[data-charts-json]");
    if (group) {
      var all = read(group, "data-charts-json");
      group.querySelectorAll("[data-chart]").forEach(function (el) {
        var key = el.getAttribute("data-chart");
        if (builders[key] && all[key]) draw(el, builders[key](all[key]));
      });
    }
  }
  if (document.readyState !== "loading") init(); else document.addEventListener("DOMContentLoaded", init);
})();
