/* The one map (一张图). Configuration comes from the page's data attributes (no inline script: the
   site's CSP allows scripts from 'self' only). Layers are GeoJSON from console:map_layer, loaded when
   switched on and reloaded when the period or the zoom changes (the server simplifies lines for the
   zoom). The legend shows, for each layer shown, the entries its features use and how many. */
(function () {
  "use strict";

  var page = document.getElementById("hz-map-page");
  if (!page || !window.L) { return; }
  var S = window.HzMapSymbols;
  var config = JSON.parse(page.getAttribute("data-config"));
  var mapEl = document.getElementById("hz-map");
  var form = document.getElementById("hz-map-filter");
  var errorEl = document.getElementById("hz-map-error");
  var cardEl = document.getElementById("hz-card");

  // With no tile layer Leaflet sets no zoom limits: keep to the server's 0–20 (street detail at 18).
  var map = L.map(mapEl, {zoomSnap: 0.5, attributionControl: true, minZoom: 3, maxZoom: 18});
  map.attributionControl.setPrefix(false);
  var b = config.bounds;
  map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  L.control.scale({imperial: false}).addTo(map);

  // Panes, bottom to top: areas, rivers, other lines, tracks, points (markers sit above them all).
  // Rivers lie under their reaches: a click on a reach reaches the reach (and its chief), whichever
  // layer answered first.
  [["hz-areas", 350], ["hz-rivers", 400], ["hz-lines", 410], ["hz-tracks", 420], ["hz-points", 450]].forEach(function (p) {
    map.createPane(p[0]).style.zIndex = p[1];
  });
  var PANE = {
    divisions: "hz-areas", lakes: "hz-areas", rivers: "hz-rivers", reaches: "hz-lines", pipelines: "hz-lines",
    patrols: "hz-tracks", intakes: "hz-points", sections: "hz-points"
  };
  // Reloaded when the whole zoom changes: the server simplified their lines for the zoom.
  var BBOX_ZOOM = 13;
  var SIMPLIFIED = {divisions: true, lakes: true, rivers: true, reaches: true, patrols: true, pipelines: true};
  var KIND = {
    divisions: "division", rivers: "river", reaches: "reach", lakes: "lake", intakes: "intake", patrols: "patrol",
    cases: "case", plants: "plant", stations: "station", pipelines: "pipeline", sections: "section"
  };

  var tiles = null;
  if (config.tiles) {
    tiles = L.tileLayer(config.tiles.url, {attribution: config.tiles.attribution, maxZoom: 18}).addTo(map);
  }

  var state = {};  // name -> {layer, zoom, controller, period}
  var pending = 0;

  function filters() {
    var data = new FormData(form);
    return {start: data.get("start"), end: data.get("end"), state: data.get("state"), category: data.get("category")};
  }

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = !message;
  }

  function layerInfo(name) {
    for (var i = 0; i < config.layers.length; i++) {
      if (config.layers[i].name === name) { return config.layers[i]; }
    }
    return null;
  }

  function legendCounts(name, collection) {
    var counts = {};
    collection.features.forEach(function (f) {
      var p = f.properties;
      counts[p.sym] = (counts[p.sym] || 0) + 1;
      if (p.ring) { counts[p.ring] = (counts[p.ring] || 0) + 1; }
      if (p.overdue) { counts.overdue = (counts.overdue || 0) + 1; }
    });
    var legend = document.querySelector('[data-legend-for="' + name + '"]');
    if (legend) {
      legend.hidden = false;
      Array.prototype.forEach.call(legend.querySelectorAll("li"), function (li) {
        var n = counts[li.getAttribute("data-sym")] || 0;
        li.hidden = n === 0;
        li.querySelector(".hz-legend-n").textContent = "(" + n + ")";
      });
    }
    var countEl = document.querySelector('[data-count-for="' + name + '"]');
    if (countEl) { countEl.textContent = "(" + collection.features.length + ")"; }
    mapEl.setAttribute("data-drawn-" + name, String(collection.features.length));
  }

  function clearLegend(name) {
    var legend = document.querySelector('[data-legend-for="' + name + '"]');
    if (legend) { legend.hidden = true; }
    var countEl = document.querySelector('[data-count-for="' + name + '"]');
    if (countEl) { countEl.textContent = ""; }
    mapEl.removeAttribute("data-drawn-" + name);
  }

  function openCard(name, feature) {
    var f = filters();
    var url = config.cardUrl.replace("__kind__", KIND[name]).replace("__id__", encodeURIComponent(feature.properties.id)) +
      "?start=" + encodeURIComponent(f.start) + "&end=" + encodeURIComponent(f.end);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
      return r.text().then(function (text) { return {ok: r.ok, text: text}; });
    }).then(function (res) {
      if (!res.ok) { showError(errorMessage(res.text)); return; }
      cardEl.innerHTML = res.text;  // the server's own template, escaped by Django
      cardEl.hidden = false;
      var close = cardEl.querySelector(".hz-card-close");
      if (close) { close.addEventListener("click", function () { cardEl.hidden = true; cardEl.innerHTML = ""; }); }
    });
  }

  function errorMessage(text) {
    try {
      var err = JSON.parse(text).error;
      var fields = err.fields || {};
      var names = Object.keys(fields);
      if (names.length) { return names.map(function (k) { return k + ": " + fields[k].join(" "); }).join("; "); }
      return err.message;
    } catch (e) {
      return text.slice(0, 200);
    }
  }

  function buildLayer(name, collection) {
    var options = {
      pane: PANE[name] || "markerPane",
      // Points get their options in pointToLayer; a style here would override their fill and ring.
      style: function (feature) { return feature.geometry.type === "Point" ? {} : S.pathStyle(name, feature); },
      pointToLayer: function (feature, latlng) { return S.point(name, feature, latlng); },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var title = p.name || p.reach || p.code || "";
        if (title) { layer.bindTooltip(String(title), {sticky: true}); }
        layer.on("click", function () { openCard(name, feature); });
      }
    };
    return L.geoJSON(collection, options);
  }

  function load(name) {
    var info = layerInfo(name);
    var entry = state[name] || (state[name] = {});
    if (entry.controller) { entry.controller.abort(); }
    var controller = new AbortController();
    entry.controller = controller;
    var f = filters();
    var zoom = Math.round(map.getZoom());
    var q = new URLSearchParams({zoom: String(zoom)});
    // Close in, ask for the visible box only (with a margin): a month of tracks over the whole
    // jurisdiction at street detail would be megabytes nobody sees.
    if (zoom >= BBOX_ZOOM) {
      var v = map.getBounds().pad(0.25);
      q.set("bbox", [v.getWest(), v.getSouth(), v.getEast(), v.getNorth()].map(function (x) { return x.toFixed(5); }).join(","));
      entry.boxed = true;
    } else {
      entry.boxed = false;
    }
    if (info && info.period) { q.set("start", f.start); q.set("end", f.end); }
    if (name === "cases") {
      if (f.state) { q.set("state", f.state); }
      if (f.category) { q.set("category", f.category); }
    }
    pending += 1;
    mapEl.setAttribute("data-loading", String(pending));
    return fetch(config.layerUrl.replace("__layer__", name) + "?" + q.toString(), {
      credentials: "same-origin", signal: controller.signal, headers: {"Accept": "application/geo+json"}
    }).then(function (r) {
      return r.text().then(function (text) { return {ok: r.ok, text: text}; });
    }).then(function (res) {
      if (!res.ok) { showError(errorMessage(res.text)); return; }
      if (!isOn(name)) { return; }
      var collection = JSON.parse(res.text);
      if (entry.layer) { map.removeLayer(entry.layer); }
      entry.layer = buildLayer(name, collection).addTo(map);
      entry.zoom = zoom;
      legendCounts(name, collection);
    }).catch(function (e) {
      if (e.name !== "AbortError") { showError(String(e)); }
    }).then(function () {
      pending -= 1;
      mapEl.setAttribute("data-loading", String(pending));
      if (pending === 0) { mapEl.setAttribute("data-ready", "1"); }
    });
  }

  function isOn(name) {
    var box = document.querySelector('input[name="layer"][value="' + name + '"]');
    return !!(box && box.checked);
  }

  function unload(name) {
    var entry = state[name];
    if (entry) {
      if (entry.controller) { entry.controller.abort(); }
      if (entry.layer) { map.removeLayer(entry.layer); entry.layer = null; }
    }
    clearLegend(name);
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[name="layer"]'), function (box) {
    box.addEventListener("change", function () {
      if (box.value === "tiles") {
        if (tiles) { if (box.checked) { tiles.addTo(map); } else { map.removeLayer(tiles); } }
        return;
      }
      if (box.checked) { load(box.value); } else { unload(box.value); }
    });
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    showError("");
    config.layers.forEach(function (info) {
      if (info.period && isOn(info.name)) { load(info.name); }
    });
  });

  // A new zoom: reload the simplified layers; a move close in: reload those asked for a box.
  map.on("moveend", function () {
    var zoom = Math.round(map.getZoom());
    Object.keys(SIMPLIFIED).forEach(function (name) {
      var entry = state[name];
      if (!isOn(name) || !entry || entry.zoom === undefined) { return; }
      if (entry.zoom !== zoom || entry.boxed || zoom >= BBOX_ZOOM) { load(name); }
    });
  });

  config.layers.forEach(function (info) { if (isOn(info.name)) { load(info.name); } });
})();
