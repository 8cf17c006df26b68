// Draws the period report's grouped bar charts from the figures the page carries in
// data-charts (no inline script: the portal's Content-Security-Policy forbids it).
(function () {
  "use strict";
  var holder = document.querySelector("[data-charts]");
  if (!holder || typeof window.Chart === "undefined") return;
  var charts = JSON.parse(holder.getAttribute("data-charts"));
  var colours = ["#2f6f9f", "#6aa84f", "#c62828", "#f9a825"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var figures = charts[canvas.getAttribute("data-chart")];
    if (!figures || !figures.labels.length) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: figures.labels,
        datasets: figures.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.values,
            backgroundColor: colours[index % colours.length]
          };
        })
      },
      options: {
        indexAxis: "y",
        animation: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
})();
