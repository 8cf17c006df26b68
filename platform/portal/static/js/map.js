// The electronic map: the node's children drawn from /map/areas.json (outlines, labels, a
// colour per figure, a click goes one level down) and each layer the user ticked (open tasks,
// key sites, the modules' hazards …) from /map/points.json: points coloured by kind, or
// clusters with counts, fetched again for the view after each move or change of filter.
// Without tiles the outlines stand on a plain background; nothing is loaded from anywhere but
// our own server and the county's tile server. Colours are set from script (the page's
// policy allows no inline styles).
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L || !window.fetch) return;
  var data = element.dataset;
  var SHADES = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

  var map = L.map(element, { zoomSnap: 1, preferCanvas: false, attributionControl: !!data.tileUrl });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, {
      attribution: data.tileAttribution || "",
      maxZoom: parseInt(data.tileMaxZoom || "18", 10)
    }).addTo(map);
  }
  var areas = L.geoJSON(null, { style: areaStyle, onEachFeature: eachArea }).addTo(map);
  var figureSelect = document.querySelector("[data-testid=map-figure]");
  var legend = document.querySelector("[data-testid=map-legend]");
  var limits = [0, 0, 0, 0];
  var reversed = !!data.higherIsBetter;  // the darkest shade for the lowest values
  var layers = Array.prototype.map.call(document.querySelectorAll(".map-layer"), function (block) {
    var kinds = Array.prototype.map.call(block.querySelectorAll("input[data-kind]"), function (box) {
      return { box: box, code: box.value, colour: box.dataset.colour };
    });
    return { code: block.dataset.layer, label: block.dataset.label, block: block, kinds: kinds,
             toggle: block.querySelector("input[name=layers]"), group: L.layerGroup().addTo(map) };
  });
  Array.prototype.forEach.call(document.querySelectorAll(".map-kinds .dot"), function (dot) {
    dot.style.background = dot.dataset.colour;
  });

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; });
  }

  function shadeAt(i) { return reversed ? SHADES[SHADES.length - 1 - i] : SHADES[i]; }
  function shade(value) {
    if (value === null) return "#d9d9d9";  // nobody to count a rate over
    for (var i = limits.length - 1; i >= 0; i--) { if (value > limits[i]) return shadeAt(i + 1); }
    return shadeAt(0);
  }
  function areaStyle(feature) {
    return { color: "#34495e", weight: 1.5, fillOpacity: 0.55, fillColor: shade(feature.properties.value) };
  }
  function eachArea(feature, layer) {
    var p = feature.properties;
    var shown = p.value === null ? "—" : p.value;
    layer.bindTooltip(p.name + " · " + shown, { permanent: true, direction: "center", className: "area-label" });
    layer.on("click", function () {
      window.location = data.drill + "?node=" + p.id + "&figure=" + encodeURIComponent(currentFigure());
    });
  }
  function currentFigure() { return figureSelect ? figureSelect.value : data.figure; }

  // Four limits at the quintiles of the values shown: the colours compare the children.
  function setLimits(features) {
    var values = features.map(function (f) { return f.properties.value; })
      .filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
    limits = [0.2, 0.4, 0.6, 0.8].map(function (q) { return values.length ? values[Math.floor(q * (values.length - 1))] : 0; });
    if (!legend) return;
    legend.textContent = "";
    SHADES.forEach(function (colour, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("span");
      swatch.className = "swatch s" + (reversed ? SHADES.length - 1 - i : i);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(i === 0 ? "≤ " + limits[0] : "> " + limits[i - 1]));
      legend.appendChild(item);
    });
  }

  function loadAreas(fit) {
    var url = data.areas + "&figure=" + encodeURIComponent(currentFigure()) + "&zoom=" + map.getZoom();
    return json(url).then(function (collection) {
      if (!collection) return;
      reversed = !!(collection.figure && collection.figure.higher_is_better);
      var drawn = collection.features.filter(function (f) { return f.geometry; });
      setLimits(drawn);
      areas.clearLayers();
      areas.addData(drawn);
      element.dataset.drawn = String(drawn.length);
      if (fit && drawn.length) map.fitBounds(areas.getBounds(), { padding: [8, 8] });
    });
  }

  // One layer in the view: its points (a popup with the link to the record) or its clusters,
  // each cluster coloured by the first of the layer's kinds it holds (they come worst first).
  function loadLayer(layer) {
    layer.group.clearLayers();
    var kinds = layer.kinds.filter(function (k) { return k.box.checked; });
    if (!layer.toggle.checked || !kinds.length) return;
    var colours = {};
    layer.kinds.forEach(function (k) { colours[k.code] = k.colour; });
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    var url = data.points + "&layer=" + encodeURIComponent(layer.code) + "&zoom=" + map.getZoom() + "&bbox=" + bbox +
      "&kinds=" + kinds.map(function (k) { return encodeURIComponent(k.code); }).join(",");
    json(url).then(function (collection) {
      if (!collection) return;
      layer.group.clearLayers();
      collection.features.forEach(function (f) {
        var where = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        var p = f.properties;
        if (p.count !== undefined) {
          var first = kinds.filter(function (k) { return p.kinds[k.code]; })[0];
          var size = p.count < 100 ? 34 : (p.count < 1000 ? 40 : 48);
          var icon = L.divIcon({ className: "cluster", html: String(p.count), iconSize: [size, size] });
          var marker = L.marker(where, { icon: icon, keyboard: false, title: layer.label + " " + p.count + " " + data.labelCount })
            .on("click", function () { map.setView(where, Math.min(map.getZoom() + 2, 19)); })
            .addTo(layer.group);
          if (first && marker.getElement()) marker.getElement().style.background = first.colour;
        } else {
          var dot = L.circleMarker(where, { radius: 7, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: colours[p.kind] || "#3182bd" });
          var text = p.href ? document.createElement("a") : document.createElement("span");
          if (p.href) text.href = p.href;
          text.textContent = p.title;
          dot.bindPopup(text).addTo(layer.group);
        }
      });
      layer.block.dataset.drawn = String(collection.features.length);
    });
  }
  function loadLayers() { layers.forEach(loadLayer); }

  // A worker's patrol check-ins of one day: numbered in order, joined by the route.
  function loadPatrols() {
    json(data.patrols).then(function (collection) {
      if (!collection) return;
      var route = L.geoJSON(collection, {
        style: { color: "#8e44ad", weight: 3, dashArray: "6 4" },
        pointToLayer: function (feature, where) {
          var icon = L.divIcon({ className: "patrol-stop", html: String(feature.properties.order), iconSize: [24, 24] });
          return L.marker(where, { icon: icon, title: feature.properties.time + " " + feature.properties.place });
        },
        onEachFeature: function (feature, layer) {
          if (feature.properties.time) layer.bindPopup(document.createTextNode(feature.properties.time + " " + feature.properties.place));
        }
      }).addTo(map);
      element.dataset.patrolsDrawn = String(collection.features.filter(function (f) { return f.geometry.type === "Point"; }).length);
      if (route.getLayers().length) map.fitBounds(route.getBounds(), { padding: [24, 24], maxZoom: 17 });
    });
  }

  var center = (data.center || "0,0").split(",").map(Number);  // [longitude, latitude]
  map.setView([center[1], center[0]], parseInt(data.zoom || "12", 10));
  loadAreas(true).then(function () {
    if (!areas.getLayers().length) return;
    loadLayers();
    map.on("moveend", loadLayers);
    map.on("zoomend", function () { loadAreas(false); });
  });
  if (data.patrols) loadPatrols();
  layers.forEach(function (layer) {
    layer.block.addEventListener("change", function () { loadLayer(layer); });
  });
  if (figureSelect) figureSelect.addEventListener("change", function () { loadAreas(false); });
})();
