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

  /* Suspect points the page marks over the feature (data-marks: [{lon, lat, kind, label}]): a jump's
     two ends joined by a dashed red line, dropped points, points far from the reach, a stationary
     track's spread, the last point of a patrol the system ended. Each has its table row's number. */
  var MARK_COLOURS = {"jump-from": "#d32f2f", "jump-to": "#d32f2f", "dropped": "#ff8f00", "outside": "#c2185b",
                      "stationary": "#6a1b9a", "last": "#455a64"};
  function drawMarks(map, el) {
    var raw = el.getAttribute("data-marks");
    if (!raw) { return; }
    var marks;
    try { marks = JSON.parse(raw); } catch (e) { return; }
    var from = null;
    marks.forEach(function (m) {
      var ll = L.latLng(m.lat, m.lon);
      if (m.kind === "jump-from") { from = ll; }
      if (m.kind === "jump-to" && from) {
        L.polyline([from, ll], {className: "hz-mark-jump", color: "#d32f2f", weight: 2, dashArray: "2 6"}).addTo(map);
        from = null;
      }
      L.circleMarker(ll, {
        className: "hz-mark hz-mark-" + m.kind, radius: 6, color: "#ffffff", weight: 2,
        fillColor: MARK_COLOURS[m.kind] || "#d32f2f", fillOpacity: 1
      }).bindTooltip(m.label, {permanent: marks.length <= 12, direction: "right", className: "hz-mark-label"})
        .addTo(map);
    });
    el.setAttribute("data-marked", String(marks.length));
  }

  Array.prototype.forEach.call(document.querySelectorAll(".hz-detail-map[data-feature-url]"), function (el) {
    var map = L.map(el, {zoomSnap: 0.5, scrollWheelZoom: false, minZoom: 3, maxZoom: 18});
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
      drawMarks(map, el);
      el.setAttribute("data-drawn", String(collection.features.length));
    }).catch(function (e) {
      el.setAttribute("data-error", String(e));
    });
  });
})();
