// Live progress of a generation job: the engine service's WebSocket (with a short-lived token for this job that
// the web backend signed), polling the web API when it fails.
(function () {
  "use strict";
  var FINAL = { completed: true, failed: true, cancelled: true };

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job");
    if (!box) { return; }
    var bar = document.getElementById("progressbar");
    var fill = bar.querySelector(".bar");
    var percent = document.getElementById("percent");
    var statusEl = document.getElementById("status");
    var phaseEl = document.getElementById("phase");
    var etaEl = document.getElementById("eta");
    var costEl = document.getElementById("cost-line");
    var channel = document.getElementById("channel");
    var shown = parseFloat(bar.getAttribute("aria-valuenow")) || 0;
    var etaLeft = null;
    var finished = false;
    var pollTimer = null;

    function show(msg) {
      var p = Math.max(shown, Math.min(100, Number(msg.progress) || 0));
      shown = p;
      var text = String(Math.round(p));
      bar.setAttribute("aria-valuenow", text);
      fill.style.width = p + "%";
      percent.textContent = text;
      if (msg.status) {
        statusEl.textContent = msg.status;
        statusEl.className = "badge " + msg.status;
      }
      if (msg.phase) { phaseEl.textContent = msg.phase; }
      if (msg.cost_line && costEl) {  // "soft cost X, lower bound B (gap G %)": the engine's words
        costEl.textContent = " · " + msg.cost_line;
        costEl.hidden = false;
      }
      if (typeof msg.eta_seconds === "number" && !FINAL[msg.status]) {
        etaLeft = Math.max(0, Math.round(msg.eta_seconds));
      } else if (FINAL[msg.status]) {
        etaLeft = null;
        etaEl.textContent = "-";
      }
      renderEta();
    }

    function renderEta() {
      if (etaLeft !== null) { etaEl.textContent = etaLeft + " s"; }
    }

    setInterval(function () {
      if (etaLeft !== null && etaLeft > 0 && !finished) { etaLeft -= 1; renderEta(); }
    }, 1000);

    // the web backend has the final word: it knows the job is finished once the variants are stored
    function poll() {
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data.success) { return; }
          if (FINAL[data.status]) {
            show({ progress: data.status === "completed" ? 100 : data.progress, status: data.status, phase: data.status });
            finish();
          } else if (!wsAlive) {
            show(data);
          }
        })
        .catch(function () { /* try again at the next tick */ });
    }

    function startPolling(reason) {
      if (pollTimer || finished) { return; }
      if (reason) { channel.textContent = reason; }
      pollTimer = setInterval(poll, 1000);
      poll();
    }

    function finish() {
      if (finished) { return; }
      finished = true;
      if (pollTimer) { clearInterval(pollTimer); }
      channel.textContent = "finished";
      var cancel = document.getElementById("cancel-form");
      if (cancel) { cancel.hidden = true; }
      // the server renders the links to the stored variants
      setTimeout(function () { window.location.reload(); }, 300);
    }

    var wsAlive = false;
    if (box.getAttribute("data-final") === "true") { return; }
    if (!box.getAttribute("data-ws")) {  // a job of the web backend itself (a repair): its progress is polled
      startPolling("polling");
      return;
    }
    var url = box.getAttribute("data-ws") + "?token=" + encodeURIComponent(box.getAttribute("data-ws-token") || "");
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      startPolling("polling (no live connection)");
      return;
    }
    socket.onopen = function () { wsAlive = true; channel.textContent = "live"; };
    socket.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.status === "unknown") { return; }
      show(msg);
      if (FINAL[msg.status]) {
        channel.textContent = "storing the result…";
        startPolling();
      }
    };
    socket.onerror = function () { wsAlive = false; startPolling("polling (live connection failed)"); };
    socket.onclose = function () { wsAlive = false; startPolling(finished ? null : "polling"); };
    // a Cancel should not wait for a page load to take effect in the bar
    var cancelForm = document.getElementById("cancel-form");
    if (cancelForm) {
      cancelForm.addEventListener("submit", function () { channel.textContent = "cancelling…"; });
    }
  });
})();
