/* The desk report's small map: the reaches in the user's jurisdiction (the one map's reaches layer);
   a click fills the longitude and latitude inputs (WGS84, 6 decimals) and a click on a reach chooses
   it; choosing a reach zooms to it; typed coordinates move the pin. No tiles: the project's geometry. */
(function () {
  "use strict";
  if (!window.L) { return; }
  var el = document.querySelector("[data-report-map]");
  if (!el) { return; }
  var form = el.closest("form");
  var lon = form.querySelector("input[name=lon]");
  var lat = form.querySelector("input[name=lat]");
  var reach = form.querySelector("select[name=reach]");
  var map = L.map(el, {zoomSnap: 0.5, scrollWheelZoom: false, minZoom: 3, maxZoom: 18});
  map.attributionControl.setPrefix(false);
  L.control.scale({imperial: false}).addTo(map);
  map.setView([43.8, 87.6], 10);
  var pin = null;
  var byId = {};

  function place(latlng, fill) {
    if (pin) { pin.setLatLng(latlng); } else { pin = L.marker(latlng).addTo(map); }
    if (fill) {
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
    }
  }

  function fromInputs() {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (isFinite(x) && isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90) { place(L.latLng(y, x), false); }
  }

  function focusReach() {
    var layer = byId[reach.value];
    if (layer) {
      Object.keys(byId).forEach(function (k) { byId[k].setStyle({weight: k === reach.value ? 5 : 2}); });
      map.fitBounds(layer.getBounds().pad(0.3), {maxZoom: 15, animate: false});
    }
  }

  map.on("click", function (ev) { place(ev.latlng, true); });
  lon.addEventListener("change", fromInputs);
  lat.addEventListener("change", fromInputs);
  reach.addEventListener("change", focusReach);

  fetch(el.getAttribute("data-report-map"), {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) { throw new Error("HTTP " + r.status); }
    return r.json();
  }).then(function (collection) {
    var group = L.geoJSON(collection, {
      style: function () { return {color: "#2b7bd6", weight: 2, opacity: 0.9}; },
      onEachFeature: function (f, layer) {
        byId[String(f.properties.id)] = layer;
        layer.bindTooltip(f.properties.name || "");
        layer.on("click", function (ev) {
          reach.value = String(f.properties.id);
          place(ev.latlng, true);
          focusReach();
          L.DomEvent.stopPropagation(ev);
        });
      }
    }).addTo(map);
    var bounds = group.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.1), {animate: false}); }
    fromInputs();
    if (reach.value) { focusReach(); }
    el.setAttribute("data-drawn", String(collection.features.length));
  }).catch(function (e) {
    el.setAttribute("data-error", String(e));
  });
})();
