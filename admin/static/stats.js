/* Charts of the statistics dashboard, drawn with chartkick.js + Chart.js (served by the app
 * from the installed chartkick package). The numbers come from the JSON block #stats-data that
 * the server embeds (the same numbers as the page's tables); every element with data-chart
 * names its chart type and its series, and may list its colours in data-colors. No inline
 * script, so a strict Content-Security-Policy can forbid them. */
(function () {
  "use strict";

  var TYPES = { line: "LineChart", column: "ColumnChart", bar: "BarChart", pie: "PieChart" };
  var DEFAULT_COLOR = "#1f6feb";
  var PIE_COLORS = ["#1f6feb", "#d1242f", "#2da44e", "#bf8700", "#8250df"];

  function options(type, element) {
    var listed = element.getAttribute("data-colors");
    var colors = listed ? listed.split(",") : (type === "PieChart" ? PIE_COLORS : [DEFAULT_COLOR]);
    var integers = { ticks: { precision: 0 } };
    return {
      empty: "Chưa có dữ liệu",
      loading: "Đang tải…",
      thousands: ".",
      decimal: ",",
      discrete: true,
      curve: false,
      legend: type === "PieChart" ? "bottom" : false,
      colors: colors,
      library: type === "PieChart" ? {} : { scales: { x: integers, y: integers } }
    };
  }

  function drawCharts() {
    var node = document.getElementById("stats-data");
    if (!node || !window.Chartkick) { return; }
    var data = JSON.parse(node.textContent);
    var charts = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < charts.length; i++) {
      var element = charts[i];
      var type = TYPES[element.getAttribute("data-chart")];
      var series = data[element.getAttribute("data-series")];
      if (!type || !series) { continue; }
      new window.Chartkick[type](element, series, options(type, element));
    }
  }

  function wirePrintButtons() {
    var buttons = document.querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    wirePrintButtons();
  });
}());
