// The week grid editor (widgets.WeekGridWidget): every cell is a button at a level; pick a level in the radio
// group, then click a cell, or press on one and drag over others, to give them that level. Keyboard: the arrow
// keys move between cells (one tab stop for the whole grid), Space or Enter sets the chosen level, the keys 1..n
// choose a level and set it on the focused cell. The shortcuts set the chosen level on the cells they name.
// Each cell's hidden input ("day-period-level") is what the form posts.
(function () {
  "use strict";

  function setup(editor) {
    var name = editor.getAttribute("data-grid-editor");
    var table = editor.querySelector("table.week-grid");
    var radios = Array.prototype.slice.call(editor.querySelectorAll("input[type=radio][name='" + name + "-level']"));
    var labels = {};
    var marks = {};
    radios.forEach(function (radio) {
      marks[radio.value] = radio.getAttribute("data-mark");
      labels[radio.value] = radio.getAttribute("data-label");
    });
    var status = editor.querySelector("[data-grid-status]");
    var cells = Array.prototype.slice.call(table.querySelectorAll("button.cell"));
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr")).map(function (tr) {
      return Array.prototype.slice.call(tr.querySelectorAll("button.cell"));
    });

    function chosen() {
      var on = radios.filter(function (r) { return r.checked; })[0];
      return on ? on.value : radios[0].value;
    }

    function setLevel(cell, level) {
      var td = cell.closest("td");
      td.className = td.className.replace(/\blvl-\S+/g, "").trim() + " lvl-" + level;
      cell.setAttribute("data-level", level);
      cell.setAttribute("aria-label", cell.getAttribute("data-day-name") + " " + cell.getAttribute("data-start") +
        " " + labels[level]);
      cell.querySelector(".mark").textContent = marks[level];
      td.querySelector("input[type=hidden]").value =
        cell.getAttribute("data-day") + "-" + cell.getAttribute("data-period") + "-" + level;
    }

    function announce(count, level) {
      if (status) { status.textContent = count + (count === 1 ? " cell" : " cells") + " set to " + labels[level]; }
    }

    function focusCell(cell) {
      cells.forEach(function (c) { c.tabIndex = c === cell ? 0 : -1; });
      cell.focus();
    }

    // the mouse (or a finger, or a pen): press on a cell and drag over others
    var painting = null;
    table.addEventListener("pointerdown", function (event) {
      var cell = event.target.closest("button.cell");
      if (!cell || event.button !== 0) { return; }
      event.preventDefault();
      painting = chosen();
      setLevel(cell, painting);
      focusCell(cell);
      if (cell.releasePointerCapture && event.pointerId !== undefined) {
        try { cell.releasePointerCapture(event.pointerId); } catch (e) { /* not captured */ }
      }
    });
    table.addEventListener("pointerover", function (event) {
      if (painting === null) { return; }
      var cell = event.target.closest("button.cell");
      if (cell) { setLevel(cell, painting); }
    });
    document.addEventListener("pointerup", function () {
      if (painting !== null) { announce(1, painting); }
      painting = null;
    });
    // a click from the keyboard (Space, Enter) sets the chosen level; one from the pointer was handled on press
    table.addEventListener("click", function (event) {
      var cell = event.target.closest("button.cell");
      if (!cell || event.detail > 0) { return; }
      setLevel(cell, chosen());
      announce(1, chosen());
    });

    table.addEventListener("keydown", function (event) {
      var cell = event.target.closest("button.cell");
      if (!cell) { return; }
      var r = Number(cell.getAttribute("data-period"));
      var d = Number(cell.getAttribute("data-day"));
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[event.key]) {
        event.preventDefault();
        var nr = Math.max(0, Math.min(rows.length - 1, r + moves[event.key][0]));
        var nd = Math.max(0, Math.min(rows[nr].length - 1, d + moves[event.key][1]));
        var next = rows[nr][nd];
        focusCell(next);
        if (event.shiftKey) { setLevel(next, chosen()); announce(1, chosen()); }  // Shift+arrow paints as it goes
        return;
      }
      if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        focusCell(rows[r][event.key === "Home" ? 0 : rows[r].length - 1]);
        return;
      }
      var digit = Number(event.key);
      if (event.key.length === 1 && digit >= 1 && digit <= radios.length && !event.ctrlKey && !event.altKey) {
        event.preventDefault();
        radios[digit - 1].checked = true;
        setLevel(cell, radios[digit - 1].value);
        announce(1, radios[digit - 1].value);
      }
    });

    // the shortcuts: the chosen level on the afternoons, on one day, or before a time
    editor.querySelectorAll("button[data-shortcut]").forEach(function (button) {
      button.addEventListener("click", function () {
        var kind = button.getAttribute("data-shortcut");
        var level = kind === "clear" ? radios.filter(function (r) { return r.value === "neutral"; })[0].value : chosen();
        var day = editor.querySelector("[data-shortcut-day]").value;
        var time = editor.querySelector("[data-shortcut-time]").value;
        var hit = cells.filter(function (c) {
          if (kind === "afternoons") { return !c.hasAttribute("data-morning"); }
          if (kind === "day") { return c.getAttribute("data-day") === day; }
          if (kind === "before") { return c.getAttribute("data-start") < time; }
          return true;
        });
        hit.forEach(function (c) { setLevel(c, level); });
        announce(hit.length, level);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-grid-editor]").forEach(setup);
  });
})();
