// The draft editor on the review grid: select a session to see where it can go (free, soft cost, or the hard
// rule it would break, from the candidates API), move it by drag-and-drop or with the keyboard, swap, pick a
// room, lock, undo and redo. The server checks every edit; the page is re-read after each one it accepts, so the
// grid always shows what is stored. No inline script or style: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  var STATUS_WORDS = { free: "Free", soft: "Costs soft points", hard: "Breaks a hard rule" };
  var CARRY = "timetabling:editor";  // what the next page load announces, kept across the reload

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("editor");
    var table = document.getElementById("week-table");
    if (!root || !table) { return; }
    var api = root.getAttribute("data-api");
    var version = parseInt(root.getAttribute("data-version"), 10);
    var el = function (id) { return document.getElementById(id); };
    var statusEl = el("edit-status"), selectedEl = el("edit-selected"), hintEl = el("edit-hint");
    var errorBox = el("edit-error"), errorText = el("edit-error-text"), reloadButton = el("edit-reload");
    var undoButton = el("edit-undo"), redoButton = el("edit-redo"), lockButton = el("edit-lock");
    var roomSelect = el("edit-room"), roomButton = el("edit-room-apply"), cancelButton = el("edit-cancel");
    var swapList = el("edit-swaps");
    var selected = null;  // {course, session, label, title, day, period, element}
    var found = null;     // the candidates of the selected session
    var busy = false;

    // ------------------------------------------------------------------ the grid as rows x days of cells
    var rows = [];
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      var cells = tr.querySelectorAll("td[data-day]");
      if (cells.length) { rows.push(Array.prototype.slice.call(cells)); }
    });
    var days = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent; });
    function where(td) {
      var row = td.parentNode.querySelector("th[data-label]");
      return (days[Number(td.getAttribute("data-day")) + 1] || "") + " " + (row ? row.getAttribute("data-label") : "");
    }
    rows.forEach(function (cells, r) {
      cells.forEach(function (td, d) {
        td.setAttribute("tabindex", r === 0 && d === 0 ? "0" : "-1");
        td.addEventListener("focus", function () { roving(td); hint(td); });
        td.addEventListener("mouseenter", function () { hint(td); });
        td.addEventListener("click", function (event) { pick(td, event.target); });
        td.addEventListener("dragover", function (event) { if (selected) { event.preventDefault(); } });
        td.addEventListener("drop", function (event) { event.preventDefault(); drop(td); });
      });
    });
    table.querySelectorAll(".session[draggable]").forEach(function (s) {
      s.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", s.getAttribute("data-label"));
        event.dataTransfer.effectAllowed = "move";
        if (!selected || selected.label !== s.getAttribute("data-label")) { select(s); }
      });
    });

    function roving(td) {
      rows.forEach(function (cells) { cells.forEach(function (c) { c.setAttribute("tabindex", "-1"); }); });
      td.setAttribute("tabindex", "0");
    }

    function position(td) {
      for (var r = 0; r < rows.length; r++) {
        var d = rows[r].indexOf(td);
        if (d >= 0) { return [r, d]; }
      }
      return [0, 0];
    }

    table.addEventListener("keydown", function (event) {
      var td = event.target.closest ? event.target.closest("td[data-day]") : null;
      if (!td) { return; }
      var at = position(td), r = at[0], d = at[1];
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[event.key]) {
        event.preventDefault();
        r = Math.max(0, Math.min(rows.length - 1, r + moves[event.key][0]));
        d = Math.max(0, Math.min(rows[r].length - 1, d + moves[event.key][1]));
        rows[r][d].focus();
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pick(td, null);
      } else if (event.key === "Escape" && selected) {
        event.preventDefault();
        cancel(true);
      }
    });

    // ---------------------------------------------------------------------------- select, mark, cancel
    function startOf(td) {
      return td.querySelector(".session[draggable]") || td.querySelector(".session");
    }

    function pick(td, target) {
      if (busy) { return; }
      var clicked = target && target.closest ? target.closest(".session") : null;
      if (selected) {
        if (clicked && clicked.getAttribute("data-label") === selected.label) { cancel(true); return; }
        drop(td);
        return;
      }
      var s = clicked || startOf(td);
      if (s) { select(s); } else { say("This cell holds no session: select a session first."); }
    }

    function select(s) {
      cancel(false);
      var label = s.getAttribute("data-label");
      var cell = table.querySelector(".session[draggable][data-label='" + label.replace(/'/g, "\\'") + "']") || s;
      selected = { course: s.getAttribute("data-course"), session: Number(s.getAttribute("data-session")),
                   label: label, title: s.getAttribute("data-title"), element: cell };
      cell.classList.add("selected");
      selectedEl.textContent = "Selected: " + selected.title + " (" + label + "), looking where it can go…";
      cancelButton.disabled = false;
      var url = api + "candidates/?course=" + encodeURIComponent(selected.course) + "&session=" + selected.session;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (data) { return { status: r.status, data: data }; }); })
        .then(function (res) {
          if (!selected || selected.label !== label) { return; }
          if (res.status !== 200) { failed(res); return; }
          found = res.data;
          mark(found);
        })
        .catch(function () { showError("The server could not be reached.", false); });
    }

    function mark(c) {
      var byCell = {};
      c.cells.forEach(function (cell) { byCell[cell.day + ":" + cell.period] = cell; });
      var counts = { free: 0, soft: 0, hard: 0 };
      rows.forEach(function (cells) {
        cells.forEach(function (td) {
          var cell = byCell[td.getAttribute("data-day") + ":" + td.getAttribute("data-period")];
          var status = cell ? cell.status : "hard";
          var reason = cell ? cell.reason : "the session does not fit in the day from here";
          var text = cell && cell.current ? "Where it is now" : STATUS_WORDS[status] + (reason ? ": " + reason : "");
          counts[status] += 1;
          td.classList.add("cand-" + status);
          if (cell && cell.current) { td.classList.add("cand-current"); }
          td.setAttribute("title", text);
          td.setAttribute("data-why", text);
          var why = document.createElement("span");
          why.className = "visually-hidden cand-why";
          why.id = "why-" + td.getAttribute("data-day") + "-" + td.getAttribute("data-period");
          why.textContent = text;
          td.appendChild(why);
          td.setAttribute("aria-describedby", why.id);
        });
      });
      selectedEl.textContent = "Selected: " + selected.title + " (" + selected.label + ")" + (c.locked ? ", locked" : "") +
        ". " + counts.free + " free cells, " + counts.soft + " cost soft points, " + counts.hard + " break a hard rule.";
      say(selectedEl.textContent + " Move the focus to a cell and press Enter to move it there.");
      lockButton.disabled = false;
      lockButton.textContent = c.locked ? "Unlock" : "Lock";
      var here = c.cells.filter(function (cell) { return cell.current; })[0];
      roomSelect.innerHTML = "";
      var rooms = [c.room].concat(here ? here.free_rooms : []).filter(function (r, i, all) {
        return r && all.indexOf(r) === i;
      });
      rooms.forEach(function (room) {
        var option = document.createElement("option");
        option.value = room;
        option.textContent = room + (room === c.room ? " (now)" : "");
        roomSelect.appendChild(option);
      });
      roomSelect.disabled = c.locked || rooms.length < 2;
      roomButton.disabled = roomSelect.disabled;
      swapList.innerHTML = "";
      c.swaps.slice(0, 12).forEach(function (w) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = "Swap with " + w.other + (w.soft_delta ? " (soft " + (w.soft_delta > 0 ? "+" : "") + w.soft_delta + ")" : "");
        button.addEventListener("click", function () { swap(w.other); });
        li.appendChild(button);
        swapList.appendChild(li);
      });
      swapList.hidden = c.locked || !c.swaps.length;
    }

    function cancel(announce) {
      rows.forEach(function (cells) {
        cells.forEach(function (td) {
          td.classList.remove("cand-free", "cand-soft", "cand-hard", "cand-current");
          td.removeAttribute("title");
          td.removeAttribute("data-why");
          td.removeAttribute("aria-describedby");
          td.querySelectorAll(".cand-why").forEach(function (w) { w.remove(); });
        });
      });
      table.querySelectorAll(".session.selected").forEach(function (s) { s.classList.remove("selected"); });
      selected = null;
      found = null;
      selectedEl.textContent = "No session selected.";
      lockButton.disabled = roomSelect.disabled = roomButton.disabled = cancelButton.disabled = true;
      swapList.hidden = true;
      if (announce) { say("Selection cancelled."); }
    }

    function hint(td) {
      if (hintEl) { hintEl.textContent = selected && td.getAttribute("data-why") ? where(td) + ": " + td.getAttribute("data-why") : ""; }
    }

    // ---------------------------------------------------------------------------------------- the edits
    function drop(td) {
      if (!selected || busy) { return; }
      var day = Number(td.getAttribute("data-day")), period = Number(td.getAttribute("data-period"));
      var other = Array.prototype.filter.call(td.querySelectorAll(".session"), function (s) {
        return s.getAttribute("data-label") !== selected.label && found && found.swaps.some(function (w) {
          return w.other === s.getAttribute("data-label");
        });
      })[0];
      if (other) { swap(other.getAttribute("data-label")); return; }
      if (td.classList.contains("cand-current")) { say("It is there already."); return; }
      send("edits/", { op: "move", course: selected.course, session: selected.session, day: day, period: period },
           selected.title + " moved to " + where(td) + ".");
    }

    function swap(otherLabel) {
      var cut = otherLabel.lastIndexOf("#");
      send("edits/", { op: "swap", course: selected.course, session: selected.session,
                       other_course: otherLabel.slice(0, cut), other_session: Number(otherLabel.slice(cut + 1)) },
           selected.title + " swapped with " + otherLabel + ".");
    }

    lockButton.addEventListener("click", function () {
      if (!selected || !found) { return; }
      var op = found.locked ? "unlock" : "lock";
      send("edits/", { op: op, course: selected.course, session: selected.session }, selected.title + " " + op + "ed.");
    });
    roomButton.addEventListener("click", function () {
      if (!selected || !roomSelect.value) { return; }
      send("edits/", { op: "room", course: selected.course, session: selected.session, room: roomSelect.value },
           selected.title + " moved to room " + roomSelect.value + ".");
    });
    cancelButton.addEventListener("click", function () { cancel(true); });
    undoButton.addEventListener("click", function () { send("undo/", {}, null); });
    redoButton.addEventListener("click", function () { send("redo/", {}, null); });
    reloadButton.addEventListener("click", function () { window.location.reload(); });
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (!(event.ctrlKey || event.metaKey) || tag === "input" || tag === "textarea" || tag === "select") { return; }
      var key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey && !undoButton.disabled) { event.preventDefault(); undoButton.click(); }
      if ((key === "y" || (key === "z" && event.shiftKey)) && !redoButton.disabled) {
        event.preventDefault();
        redoButton.click();
      }
    });

    function csrf() {
      var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (m) { return Promise.resolve(decodeURIComponent(m[1])); }
      return fetch(root.getAttribute("data-csrf-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { return data.csrf_token; });
    }

    function send(path, body, message) {
      if (busy) { return; }
      busy = true;
      hideError();
      body.base_version = version;
      var focusLabel = selected ? selected.label : null;
      say("Checking the edit…");
      csrf().then(function (token) {
        return fetch(api + path, {
          method: "POST", credentials: "same-origin", body: JSON.stringify(body),
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token }
        });
      }).then(function (r) {
        return r.json().then(function (data) { return { status: r.status, data: data }; });
      }).then(function (res) {
        busy = false;
        if (res.status !== 200) { failed(res); return; }
        version = res.data.slots_version;
        var said = message || ((res.data.edit && res.data.edit.undone ? "Undone: " : "Redone: ") +
          (res.data.edit ? res.data.edit.summary : "")) + ".";
        try {
          window.sessionStorage.setItem(CARRY, JSON.stringify({ message: said, label: focusLabel }));
        } catch (e) { /* no storage: the page still shows the result */ }
        window.location.reload();
      }).catch(function () {
        busy = false;
        showError("The server could not be reached; nothing was changed.", false);
      });
    }

    function failed(res) {
      var reason = (res.data && res.data.message) || ("the server answered " + res.status);
      if (res.status === 409 && res.data && res.data.error && res.data.error.field === "base_version") {
        showError("Someone else changed this draft: " + reason + ". Reload to see their changes; yours was not stored.", true);
      } else {
        showError("Not done: " + reason, res.status === 409);
      }
      say("Not done: " + reason);
    }

    function showError(text, offerReload) {
      errorText.textContent = text;
      reloadButton.hidden = !offerReload;
      errorBox.hidden = false;
    }

    function hideError() { errorBox.hidden = true; errorText.textContent = ""; }

    function say(text) {
      statusEl.textContent = "";
      // a fresh text node, so that assistive technology announces a repeated message again
      window.setTimeout(function () { statusEl.textContent = text; }, 30);
    }

    // the result of the edit before this page load
    var carried = null;
    try {
      carried = JSON.parse(window.sessionStorage.getItem(CARRY) || "null");
      window.sessionStorage.removeItem(CARRY);
    } catch (e) { carried = null; }
    if (carried) {
      statusEl.textContent = carried.message;
      var moved = carried.label && table.querySelector(".session[draggable][data-label='" +
        String(carried.label).replace(/'/g, "\\'") + "']");
      if (moved) { moved.closest("td").focus(); }
    }
  });
})();
