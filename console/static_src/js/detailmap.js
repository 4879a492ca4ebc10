// A small Leaflet map for a detail page (a patrol's track over its reach, a case's place). No tile
// layer: the base is the thing's own geography, so it draws on an intranet with no internet.
(function () {
  "use strict";
  function init() {
    if (!window.L) return;
    document.querySelectorAll("[data-detail-map]").forEach(function (el) {
      var geo = JSON.parse(el.getAttribute("data-geo") || "{}");
      var map = window.L.map(el, { attributionControl: false, preferCanvas: false });
      var layers = [], overlays = {};
      if (geo.reach) {
        var reach = window.L.geoJSON(geo.reach, { style: { color: "#3b7dd8", weight: 6, opacity: 0.45 } }).addTo(map);
        layers.push(reach); overlays[geo.labels.reach] = reach;
      }
      if (geo.track) {
        var track = window.L.geoJSON(geo.track, { style: { color: "#1d2329", weight: 3 } }).addTo(map);
        layers.push(track); overlays[geo.labels.track] = track;
      }
      if (geo.point) {
        var pt = window.L.geoJSON(geo.point, { pointToLayer: function (f, ll) {
          return window.L.circleMarker(ll, { radius: 8, color: "#b3261e", fillColor: "#d03030", fillOpacity: 0.9 });
        } }).addTo(map);
        layers.push(pt); overlays[geo.labels.point] = pt;
      }
      var bounds = null;
      layers.forEach(function (l) { var b = l.getBounds(); if (b.isValid()) bounds = bounds ? bounds.extend(b) : b; });
      if (bounds) map.fitBounds(bounds.pad(0.1), { maxZoom: 16 }); else map.setView([43.8, 87.6], 10);
      // Mark the drawn paths (tests and print styles find the track by it); they exist once the map has a view.
      Object.keys(overlays).forEach(function (name) {
        var kind = name === geo.labels.track ? "track" : name === geo.labels.reach ? "reach" : "point";
        overlays[name].eachLayer(function (l) { var el = l.getElement && l.getElement(); if (el) el.setAttribute("data-layer", kind); });
      });
      window.L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      window.L.control.scale({ imperial: false }).addTo(map);
      el.setAttribute("data-ready", "1");
    });
  }
  if (document.readyState !== "loading") init(); else document.addEventListener("DOMContentLoaded", init);
})();
