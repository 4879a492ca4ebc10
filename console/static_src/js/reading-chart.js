// A meter's readings around one reading (the reading page): a line of the register, the reading marked,
// rejected readings apart. Data from the data-reading-chart attribute written by the view; the times are
// Beijing wall time encoded as UTC, so the chart runs in UTC mode and shows Beijing time everywhere.
(function () {
  "use strict";
  function init() {
    var el = document.querySelector("[data-reading-chart]");
    if (!el || !window.echarts) return;
    var d = JSON.parse(el.getAttribute("data-reading-chart"));
    var chart = window.echarts.init(el, null, { renderer: "canvas", useUTC: true });
    chart.setOption({
      useUTC: true, animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 90, right: 30, top: 40, bottom: 40 },
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, data: [d.names.series, d.names.mark].concat(d.rejected.length ? [d.names.rejected] : []) },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true },
      series: [
        { name: d.names.series, type: "line", data: d.series, showSymbol: d.series.length < 200, symbolSize: 4,
          itemStyle: { color: "#1f5fa8" }, lineStyle: { width: 1.5 } },
        { name: d.names.mark, type: "scatter", data: [d.mark], symbolSize: 16, z: 10,
          itemStyle: { color: "#d03030", borderColor: "#fff", borderWidth: 2 } },
        { name: d.names.rejected, type: "scatter", data: d.rejected, symbol: "diamond", symbolSize: 10,
          itemStyle: { color: "#9aa5b1" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.addEventListener("beforeprint", function () { chart.resize(); });
    el.setAttribute("data-drawn", "1");
  }
  if (document.readyState !== "loading") init(); else document.addEventListener("DOMContentLoaded", init);
})();
