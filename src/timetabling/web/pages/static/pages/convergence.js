// The live convergence chart of a generation job: the soft cost of each variant's best timetable against the
// seconds of the run, drawn as SVG from GET /api/timetable/progress/<job>/ ("convergence": variant -> points).
// A static file under the strict CSP: no inline script or style; colours come from classes in app.css.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 260, PAD = { left: 56, right: 12, top: 12, bottom: 34 };

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function draw(svg, series) {
    var names = Object.keys(series).filter(function (n) { return series[n].length; });
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    if (!names.length) { return false; }
    var xs = [], ys = [];
    names.forEach(function (n) { series[n].forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) { x1 = x0 + 1; }
    if (y1 === y0) { y1 = y0 + 1; y0 = Math.max(0, y0 - 1); }
    function sx(x) { return PAD.left + (x - x0) / (x1 - x0) * (W - PAD.left - PAD.right); }
    function sy(y) { return H - PAD.bottom - (y - y0) / (y1 - y0) * (H - PAD.top - PAD.bottom); }
    svg.appendChild(el("line", { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, "class": "axis" }));
    svg.appendChild(el("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, "class": "axis" }));
    svg.appendChild(el("text", { x: PAD.left - 6, y: sy(y1) + 4, "text-anchor": "end", "class": "tick" }, String(Math.round(y1))));
    svg.appendChild(el("text", { x: PAD.left - 6, y: sy(y0) + 4, "text-anchor": "end", "class": "tick" }, String(Math.round(y0))));
    svg.appendChild(el("text", { x: PAD.left, y: H - PAD.bottom + 16, "text-anchor": "start", "class": "tick" }, x0.toFixed(0) + " s"));
    svg.appendChild(el("text", { x: W - PAD.right, y: H - PAD.bottom + 16, "text-anchor": "end", "class": "tick" }, x1.toFixed(0) + " s"));
    svg.appendChild(el("text", { x: (W + PAD.left) / 2, y: H - 4, "text-anchor": "middle", "class": "tick" }, "seconds into the run"));
    names.forEach(function (n, i) {
      var pts = series[n].map(function (p) { return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); }).join(" ");
      var line = el("polyline", { points: pts, fill: "none", "class": "series s" + (i % 6), "data-variant": n });
      var last = series[n][series[n].length - 1];
      line.appendChild(el("title", {}, n + ": soft cost " + last[1]));
      svg.appendChild(line);
      // the latest point as a dot: a series of one point is visible too
      svg.appendChild(el("circle", { cx: sx(last[0]).toFixed(1), cy: sy(last[1]).toFixed(1), r: 3.5, "class": "dot s" + (i % 6) }));
    });
    return true;
  }

  function legend(box, series) {
    box.textContent = "";
    Object.keys(series).forEach(function (n, i) {
      var item = document.createElement("li");
      item.className = "s" + (i % 6);
      var last = series[n][series[n].length - 1];
      item.textContent = n + (last ? " (soft cost " + last[1] + ")" : "");
      box.appendChild(item);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job");
    var section = document.getElementById("convergence-box");
    if (!box || !section) { return; }
    var svg = document.getElementById("convergence");
    var keys = document.getElementById("convergence-legend");
    var timer = null;
    function tick() {
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data.success) { return; }
          var series = data.convergence || {};
          if (draw(svg, series)) {
            section.hidden = false;
            svg.setAttribute("data-points", String(Object.keys(series).reduce(function (a, n) { return a + series[n].length; }, 0)));
            legend(keys, series);
          }
          if (data.status === "completed" || data.status === "failed" || data.status === "cancelled") {
            if (timer) { clearInterval(timer); timer = null; }
          }
        })
        .catch(function () { /* the next tick tries again */ });
    }
    tick();
    if (box.getAttribute("data-final") !== "true") { timer = setInterval(tick, 2000); }
  });
})();
