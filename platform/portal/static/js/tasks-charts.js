// Draws the task dashboard's bar charts from the figures the page carries in data-charts
// (no inline script: the portal's Content-Security-Policy forbids it).
(function () {
  "use strict";
  var holder = document.querySelector("[data-charts]");
  if (!holder || typeof window.Chart === "undefined") return;
  var charts = JSON.parse(holder.getAttribute("data-charts"));
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var figures = charts[canvas.getAttribute("data-chart")];
    if (!figures || !figures.values.length) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: figures.labels,
        datasets: [{ data: figures.values, backgroundColor: "#2f6f9f" }]
      },
      options: {
        indexAxis: "y",
        animation: false,
        plugins: { legend: { display: false } },
        // Every bar keeps its label (by default crowded labels are skipped, every other one).
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { ticks: { autoSkip: false } }
        }
      }
    });
  });
})();
