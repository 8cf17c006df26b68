// Drawing a node's boundary: the polygon in the form's textarea drawn on the map with its
// vertices as handles (drag to move, double-click to delete, the small midpoints to add one),
// or, with no boundary yet, clicks that place the vertices in turn. Every change is written
// back into the textarea as GeoJSON, which is what the form sends (and what a user without
// script edits by hand). Neighbours' published outlines are drawn in grey for reference.
(function () {
  "use strict";
  var element = document.getElementById("map");
  var text = document.getElementById("boundary");
  if (!element || !text || !window.L) return;
  var data = element.dataset;
  var map = L.map(element, { doubleClickZoom: false, attributionControl: !!data.tileUrl });
  var center = (data.center || "0,0").split(",").map(Number);  // [longitude, latitude]
  map.setView([center[1], center[0]], parseInt(data.zoom || "13", 10));  // before any layer
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: parseInt(data.tileMaxZoom || "18", 10) }).addTo(map);
  }
  var neighbours = L.geoJSON(JSON.parse(data.neighbours || '{"type":"FeatureCollection","features":[]}'), {
    style: { color: "#888", weight: 1, fillOpacity: 0.08, dashArray: "4 3" },
    interactive: false
  }).addTo(map);
  var published = data.published ? L.geoJSON(JSON.parse(data.published), {
    style: { color: "#2c3e50", weight: 1, fill: false, dashArray: "2 4" }, interactive: false
  }).addTo(map) : null;

  var ring = [];  // [lat, lng] of the outer ring, not closed
  var extra = null;  // holes and further polygons, kept as they were
  var shape = L.polygon([], { color: "#c0392b", weight: 2, fillOpacity: 0.2 }).addTo(map);
  var handles = L.layerGroup().addTo(map);

  function read() {
    var value = text.value.trim();
    if (!value) return;
    try {
      var geometry = JSON.parse(value);
      if (geometry.type === "Feature") geometry = geometry.geometry;
      var polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
      var outer = polygons[0][0];
      ring = outer.slice(0, outer.length - 1).map(function (c) { return [c[1], c[0]]; });
      extra = { holes: polygons[0].slice(1), others: polygons.slice(1) };
    } catch (e) { ring = []; }
  }
  function write() {
    if (ring.length < 3) { text.value = ""; return; }
    var outer = ring.map(function (p) { return [round(p[1]), round(p[0])]; });
    outer.push(outer[0]);
    var first = [outer].concat(extra ? extra.holes : []);
    var geometry = extra && extra.others.length
      ? { type: "MultiPolygon", coordinates: [first].concat(extra.others) }
      : { type: "Polygon", coordinates: first };
    text.value = JSON.stringify(geometry);
  }
  function round(v) { return Math.round(v * 1e6) / 1e6; }

  function redraw() {
    shape.setLatLngs(ring);
    handles.clearLayers();
    ring.forEach(function (point, i) {
      var handle = L.circleMarker(point, { radius: 7, color: "#fff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 });
      handle.addTo(handles);
      dragBehaviour(handle, i);
      handle.on("dblclick", function (event) {
        L.DomEvent.stop(event);
        if (ring.length > 3) { ring.splice(i, 1); write(); redraw(); }
      });
      if (ring.length >= 2) {
        var next = ring[(i + 1) % ring.length];
        var middle = [(point[0] + next[0]) / 2, (point[1] + next[1]) / 2];
        L.circleMarker(middle, { radius: 4, color: "#c0392b", weight: 1, fillColor: "#fff", fillOpacity: 1 })
          .on("click", function (event) { L.DomEvent.stop(event); ring.splice(i + 1, 0, middle); write(); redraw(); })
          .addTo(handles);
      }
    });
  }
  // Circle markers do not drag by themselves: follow the pointer (a mouse, a finger or a pen)
  // between down and up. Pointer events, not Leaflet's mouse events: a finger's drag sends
  // no mouse events at all.
  function dragBehaviour(handle, i) {
    var element = handle.getElement();
    if (!element) return;
    L.DomEvent.on(element, "pointerdown", function (event) {
      L.DomEvent.stop(event);  // neither the map's own drag nor its click
      map.dragging.disable();
      function move(e) {
        var at = map.mouseEventToLatLng(e);
        ring[i] = [at.lat, at.lng];
        handle.setLatLng(at);
        shape.setLatLngs(ring);
      }
      function up() {
        document.removeEventListener("pointermove", move);
        document.removeEventListener("pointerup", up);
        document.removeEventListener("pointercancel", up);
        map.dragging.enable();
        write();
        redraw();
      }
      document.addEventListener("pointermove", move);
      document.addEventListener("pointerup", up);
      document.addEventListener("pointercancel", up);
    });
  }
  map.on("click", function (event) {
    if (!drawing) return;  // a boundary to change: its handles do it
    ring.push([event.latlng.lat, event.latlng.lng]);
    write();
    redraw();
  });
  text.addEventListener("change", function () { read(); drawing = ring.length === 0; redraw(); fit(); });

  function fit() {
    var bounds = L.latLngBounds([]);
    if (ring.length) bounds.extend(shape.getBounds());
    if (published) bounds.extend(published.getBounds());
    if (!bounds.isValid() && neighbours.getLayers().length) bounds = neighbours.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  }
  read();
  var drawing = ring.length === 0;  // no boundary yet: each click places the next vertex
  redraw();
  fit();
  element.dataset.ready = "1";
})();
