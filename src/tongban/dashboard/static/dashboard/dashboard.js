/* Operations dashboard charts (Apache ECharts, served locally). Data comes from the page's JSON script. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("charts-data").textContent);
  var L = data.labels; // the words the charts draw, in the page's language (views._chart_labels)
  var font = { fontFamily: getComputedStyle(document.body).fontFamily };
  var charts = [];
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.textStyle = font;
    option.toolbox = { feature: { saveAsImage: { title: L.save } }, right: 0, top: 0 };
    chart.setOption(option);
    charts.push(chart);
  }
  var tooltip = { trigger: "axis" };
  make("chart-daily", {
    tooltip: tooltip, legend: { data: [L.received, L.decided, L.tickets], top: 0 }, grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: data.days }, yAxis: { type: "value" },
    series: [
      { name: L.received, type: "bar", data: data.received, itemStyle: { color: "#0d6efd" } },
      { name: L.decided, type: "bar", data: data.decided, itemStyle: { color: "#198754" } },
      { name: L.tickets, type: "line", smooth: true, data: data.tickets, itemStyle: { color: "#fd7e14" } }
    ]
  });
  make("chart-channels", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    series: [{ type: "pie", radius: ["40%", "70%"], data: data.channels, label: { formatter: "{b}\n{d}%" } }]
  });
  make("chart-matters", {
    tooltip: tooltip, grid: { left: 10, right: 30, top: 10, bottom: 10, containLabel: true },
    xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: data.matters, axisLabel: { width: 180, overflow: "truncate" } },
    series: [{ type: "bar", data: data.matters_count, itemStyle: { color: "#6f42c1" }, label: { show: true, position: "right" } }]
  });
  make("chart-levels", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    color: ["#198754", "#20c997", "#adb5bd", "#fd7e14", "#dc3545"],
    legend: { bottom: 0, itemWidth: 10, itemHeight: 10, textStyle: { fontSize: 11 } },
    series: [{ type: "pie", radius: "60%", center: ["50%", "42%"], data: data.levels, label: { position: "inside", formatter: "{d}%", fontSize: 11 } }]
  });
  var states = L.states;
  make("chart-orders", {
    tooltip: tooltip, grid: { left: 10, right: 30, top: 10, bottom: 10, containLabel: true },
    xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", inverse: true, data: states.map(function (s) { return s[1]; }) },
    series: [{ type: "bar", data: states.map(function (s) { return data.work_orders[s[0]] || 0; }), itemStyle: { color: "#dc3545" }, label: { show: true, position: "right" } }]
  });
  make("chart-sat", {
    tooltip: tooltip, legend: { data: [L.satisfaction, L.avg_wait], top: 0 }, grid: { left: 40, right: 40, top: 30, bottom: 30 },
    xAxis: { type: "category", data: data.days },
    yAxis: [{ type: "value", min: 0, max: 100 }, { type: "value" }],
    series: [
      { name: L.satisfaction, type: "line", data: data.satisfaction, connectNulls: true, itemStyle: { color: "#198754" } },
      { name: L.avg_wait, type: "line", yAxisIndex: 1, data: data.avg_wait, connectNulls: true, itemStyle: { color: "#fd7e14" } }
    ]
  });
  if (data.hours) {
    make("chart-hours", {
      tooltip: tooltip, grid: { left: 40, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "category", data: data.hours.map(function (_v, h) { return L.hour.replace("%(h)s", h); }) }, yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.hours.map(function (v, h) { return { value: v, itemStyle: { color: (h >= 20 || h < 8) ? "#212529" : "#0dcaf0" } }; }) }]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
