// The dashboard's trend charts. Each chart has a table with the same numbers beside it, so the charts
// add nothing a screen reader or a printout would miss; the two years differ in shape as well as colour.
// The trends arrive after the dashboard (htmx swaps them in), or on a page of their own: drawn whenever
// their data is on the page and not yet drawn.
(function () {
  function drawTrends() {
    var source = document.getElementById("trend-data");
    if (!source || typeof Chart === "undefined" || source.dataset.drawn) return;
    source.dataset.drawn = "yes";
    var data = JSON.parse(source.textContent);
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) Chart.defaults.animation = false;
    Chart.defaults.color = "#212529";
    Chart.defaults.maintainAspectRatio = false;
    var integers = { beginAtZero: true, ticks: { precision: 0 } };

    function draw(id, config) {
      var canvas = document.getElementById(id);
      if (canvas) new Chart(canvas, config);
    }

    var halfTerms = data.halfTerms;
    draw("chart-half-terms", {
      type: "bar",
      data: {
        labels: halfTerms.labels,
        datasets: [
          { label: halfTerms.series[0].label, data: halfTerms.series[0].data, backgroundColor: "#0a58ca", order: 2 },
          {
            type: "line", label: halfTerms.series[1].label, data: halfTerms.series[1].data,
            borderColor: "#595959", backgroundColor: "#595959", borderDash: [6, 4], pointStyle: "rectRot", pointRadius: 5, order: 1,
          },
        ],
      },
      options: { scales: { y: integers } },
    });
    draw("chart-year-groups", {
      type: "bar",
      data: { labels: data.yearGroups.labels, datasets: [{ label: "Incidents", data: data.yearGroups.data, backgroundColor: "#0a58ca" }] },
      options: { scales: { y: integers }, plugins: { legend: { display: false } } },
    });
    draw("chart-locations", {
      type: "bar",
      data: { labels: data.locations.labels, datasets: [{ label: "Incidents", data: data.locations.data, backgroundColor: "#0a58ca" }] },
      options: { indexAxis: "y", scales: { x: integers }, plugins: { legend: { display: false } } },
    });
  }

  if (window.htmx) {
    htmx.onLoad(drawTrends); // the page's own load, and every piece htmx swaps in
  } else {
    document.addEventListener("DOMContentLoaded", drawTrends);
  }
})();
