// The electronic map: the node's children drawn from /map/areas.json (outlines, labels, a
// colour per figure, a click goes one level down) and the open tasks from /map/tasks.json
// (points coloured by card, or clusters with counts), fetched again for the view after each
// move. Without tiles the outlines stand on a plain background; nothing is loaded from
// anywhere but our own server and the county's tile server.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L || !window.fetch) return;
  var data = element.dataset;
  var SHADES = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  var CARD_COLOURS = { red: "#c81e1e", yellow: "#e6aa00", none: "#3182bd" };

  var map = L.map(element, { zoomSnap: 1, preferCanvas: false, attributionControl: !!data.tileUrl });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, {
      attribution: data.tileAttribution || "",
      maxZoom: parseInt(data.tileMaxZoom || "18", 10)
    }).addTo(map);
  }
  var areas = L.geoJSON(null, { style: areaStyle, onEachFeature: eachArea }).addTo(map);
  var tasks = L.layerGroup().addTo(map);
  var tasksToggle = document.querySelector("[data-testid=map-tasks-toggle]");
  var figureSelect = document.querySelector("[data-testid=map-figure]");
  var legend = document.querySelector("[data-testid=map-legend]");
  var limits = [0, 0, 0, 0];

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; });
  }

  function shade(value) {
    for (var i = limits.length - 1; i >= 0; i--) { if (value > limits[i]) return SHADES[i + 1]; }
    return SHADES[0];
  }
  function areaStyle(feature) {
    return { color: "#34495e", weight: 1.5, fillOpacity: 0.55, fillColor: shade(feature.properties.value) };
  }
  function eachArea(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(p.name + " · " + p.value, { permanent: true, direction: "center", className: "area-label" });
    layer.on("click", function () {
      window.location = data.drill + "?node=" + p.id + "&figure=" + encodeURIComponent(currentFigure());
    });
  }
  function currentFigure() { return figureSelect ? figureSelect.value : data.figure; }

  // Four limits at the quintiles of the values shown: the colours compare the children.
  function setLimits(features) {
    var values = features.map(function (f) { return f.properties.value; }).sort(function (a, b) { return a - b; });
    limits = [0.2, 0.4, 0.6, 0.8].map(function (q) { return values.length ? values[Math.floor(q * (values.length - 1))] : 0; });
    if (!legend) return;
    legend.textContent = "";
    SHADES.forEach(function (colour, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("span");
      swatch.className = "swatch s" + i;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(i === 0 ? "≤ " + limits[0] : "> " + limits[i - 1]));
      legend.appendChild(item);
    });
  }

  function loadAreas(fit) {
    var url = data.areas + "&figure=" + encodeURIComponent(currentFigure()) + "&zoom=" + map.getZoom();
    return json(url).then(function (collection) {
      if (!collection) return;
      var drawn = collection.features.filter(function (f) { return f.geometry; });
      setLimits(drawn);
      areas.clearLayers();
      areas.addData(drawn);
      element.dataset.drawn = String(drawn.length);
      if (fit && drawn.length) map.fitBounds(areas.getBounds(), { padding: [8, 8] });
    });
  }

  function loadTasks() {
    tasks.clearLayers();
    if (tasksToggle && !tasksToggle.checked) return;
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",");
    json(data.tasks + "&zoom=" + map.getZoom() + "&bbox=" + bbox).then(function (collection) {
      if (!collection) return;
      collection.features.forEach(function (f) {
        var where = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
        var p = f.properties;
        if (p.count !== undefined) {
          var kind = p.red ? "red" : (p.yellow ? "yellow" : "");
          var size = p.count < 100 ? 34 : (p.count < 1000 ? 40 : 48);
          var icon = L.divIcon({ className: "cluster " + kind, html: String(p.count), iconSize: [size, size] });
          L.marker(where, { icon: icon, keyboard: false, title: p.count + " " + data.labelTasks })
            .on("click", function () { map.setView(where, Math.min(map.getZoom() + 2, 19)); })
            .addTo(tasks);
        } else {
          var dot = L.circleMarker(where, { radius: 7, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: CARD_COLOURS[p.card] || CARD_COLOURS.none });
          var link = document.createElement("a");
          link.href = data.taskUrl.replace(/0$/, String(p.id));
          link.textContent = p.code + " " + p.title;
          dot.bindPopup(link).addTo(tasks);
        }
      });
    });
  }

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
    loadTasks();
    map.on("moveend", loadTasks);
    map.on("zoomend", function () { loadAreas(false); });
  });
  if (data.patrols) loadPatrols();
  if (tasksToggle) tasksToggle.addEventListener("change", loadTasks);
  if (figureSelect) figureSelect.addEventListener("change", function () { loadAreas(false); });
})();
