/* How the map's features are drawn (reference/console.md "Map"); shared by the map page (map.js) and
   the detail-page map (detail-map.js). The colours are the legend's (map.css): keep them in step.
   Every feature has a `sym` property set by the server (console/map/layers.py). */
(function () {
  "use strict";

  var COLOURS = {
    "division": "#8a8f94",
    "river": "#2a7fd4",
    "reach-city": "#0b4f9c",
    "reach-district": "#1565c0",
    "reach-township": "#1e88e5",
    "reach-village": "#42a5f5",
    "reach-none": "#64b5f6",
    "reach-context": "#1e88e5",
    "lake": "#4a90c2",
    "intake-online": "#2e9d43",
    "intake-offline": "#9e9e9e",
    "intake-alarm": "#d32f2f",
    "intake-none": "#ffffff",
    "intake-point": "#1565c0",
    "tier-5-10": "#f2c200",
    "tier-10-20": "#ff9800",
    "tier-20-30": "#f4511e",
    "tier-30plus": "#8e0000",
    "track-valid": "#263238",
    "track-flagged": "#6a1b9a",
    "track-invalid": "#9aa4ad",
    "quality-1-2": "#1e66d0",
    "quality-3": "#2e9d43",
    "quality-4": "#f2c200",
    "quality-5": "#ff8c00",
    "quality-6": "#d32f2f",
    "quality-none": "#ffffff",
    "pipeline": "#00897b"
  };
  var REACH_WEIGHT = {"reach-city": 5, "reach-district": 4, "reach-township": 3, "reach-village": 2.5, "reach-none": 2};

  function colour(sym) { return COLOURS[sym] || "#555555"; }

  /* Leaflet path options for a line or polygon feature of `layer`. */
  function pathStyle(layer, feature) {
    var sym = feature.properties.sym;
    var base = {className: "hz-f hz-f-" + layer, color: colour(sym), weight: 2, opacity: 1, fill: false};
    if (layer === "divisions") { base.weight = 1; base.dashArray = "4 3"; }
    else if (layer === "lakes" || sym === "lake") {
      base.weight = 1; base.fill = true; base.fillColor = "#bfe0f5"; base.fillOpacity = 0.9;
    }
    else if (layer === "reaches") { base.weight = REACH_WEIGHT[sym] || 2; }
    else if (layer === "rivers") { base.weight = 1.5; base.opacity = 0.7; }
    else if (layer === "patrols" || sym.indexOf("track-") === 0) {
      base.weight = sym === "track-invalid" ? 1.5 : 2;
      if (sym === "track-flagged") { base.dashArray = "6 4"; }
    }
    else if (layer === "context") { base.weight = 4; base.opacity = 0.6; }
    return base;
  }

  function divIcon(html, size, anchor) {
    return L.divIcon({className: "hz-div-icon", html: html, iconSize: size, iconAnchor: anchor});
  }

  /* A Leaflet layer for a point feature of `layer`. */
  function point(layer, feature, latlng) {
    var p = feature.properties, sym = p.sym;
    if (layer === "intakes" || sym === "intake-point") {
      var ring = p.ring ? colour(p.ring) : (sym === "intake-none" ? "#757575" : "#ffffff");
      return L.circleMarker(latlng, {
        className: "hz-f hz-f-" + layer, radius: 7, fillColor: colour(sym), fillOpacity: 1,
        color: ring, weight: p.ring ? 4 : 1.5
      });
    }
    if (layer === "cases" || sym.indexOf("case-") === 0) {
      var cls = "hz-pin hz-f hz-f-" + layer + " hz-" + sym + (p.overdue ? " hz-pin--overdue" : "");
      return L.marker(latlng, {icon: divIcon('<span class="' + cls + '"></span>', [16, 16], [8, 20])});
    }
    if (layer === "sections") {
      return L.circleMarker(latlng, {
        className: "hz-f hz-f-sections", radius: 6, fillColor: colour(sym), fillOpacity: 1, color: "#333333", weight: 1
      });
    }
    return L.marker(latlng, {
      icon: divIcon('<span class="hz-square hz-f hz-f-' + layer + " hz-" + sym + '"></span>', [12, 12], [6, 6])
    });
  }

  window.HzMapSymbols = {colour: colour, pathStyle: pathStyle, point: point};
})();
