/* The small map of a detail page (console/templatetags/console_map.py): draws the GeoJSON of
   console:map_feature (a patrol's track over its reach, a case's location, an intake's point) and
   fits it. No tiles: the project's own geometry is the base. */
(function () {
  "use strict";
  if (!window.L) { return; }
  var S = window.HzMapSymbols;

  function layerOf(feature) {
    var sym = feature.properties.sym;
    if (sym === "reach-context") { return "context"; }
    if (sym === "lake") { return "lakes"; }
    if (sym.indexOf("track-") === 0) { return "patrols"; }
    if (sym.indexOf("case-") === 0) { return "cases"; }
    return "intakes";
  }

  Array.prototype.forEach.call(document.querySelectorAll(".hz-detail-map[data-feature-url]"), function (el) {
    var map = L.map(el, {zoomSnap: 0.5, scrollWheelZoom: false});
    map.attributionControl.setPrefix(false);
    L.control.scale({imperial: false}).addTo(map);
    fetch(el.getAttribute("data-feature-url"), {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (collection) {
      var group = L.geoJSON(collection, {
        style: function (f) { return f.geometry.type === "Point" ? {} : S.pathStyle(layerOf(f), f); },
        pointToLayer: function (f, latlng) { return S.point(layerOf(f), f, latlng); }
      }).addTo(map);
      var focus = collection.features.filter(function (f) { return f.properties.sym !== "reach-context"; });
      var target = focus.length ? L.geoJSON({type: "FeatureCollection", features: focus}) : group;
      var bounds = target.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds.pad(0.3), {maxZoom: 15});
      }
      el.setAttribute("data-drawn", String(collection.features.length));
    }).catch(function (e) {
      el.setAttribute("data-error", String(e));
    });
  });
})();
