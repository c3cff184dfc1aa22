// Draws the dashboard's charts with the vendored Apache ECharts, from the page's JSON block.
// Each chart's figures are also in the table beside it: without scripts nothing is lost.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);

  function option(kind, figures) {
    if (kind === "pie") {
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{
          type: "pie",
          radius: ["35%", "65%"],
          data: Object.keys(figures.pie).map(function (name) {
            return { name: name, value: figures.pie[name] };
          })
        }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: figures.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: Object.keys(figures.series).map(function (name) {
        return { name: name, type: kind, data: figures.series[name] };
      })
    };
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (element) {
    var figures = data[element.dataset.chart];
    if (!figures) { return; }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option(element.dataset.kind, figures));
    element.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
