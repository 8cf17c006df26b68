// The task page's small map: where the task was reported, within its grid's outline.
(function () {
  "use strict";
  var element = document.getElementById("task-map");
  if (!element || !window.L) return;
  var point = element.dataset.point.split(",").map(Number);
  var map = L.map(element, { attributionControl: false }).setView(point, 16);
  if (element.dataset.outline) {
    var outline = L.geoJSON(JSON.parse(element.dataset.outline), {
      style: { color: "#34495e", weight: 2, fillOpacity: 0.1 }, interactive: false
    }).addTo(map);
    map.fitBounds(outline.getBounds().extend(point), { padding: [12, 12] });
  }
  L.circleMarker(point, { radius: 8, weight: 2, color: "#fff", fillColor: "#c81e1e", fillOpacity: 0.95 }).addTo(map);
  element.dataset.ready = "1";
})();
