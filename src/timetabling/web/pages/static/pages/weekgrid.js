// The availability week grid: press on a cell and drag over others to set them all as the first one became.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-week-grid]").forEach(function (table) {
      var painting = null;  // the state being painted while the pointer is down, else null
      table.addEventListener("pointerdown", function (event) {
        var box = event.target.closest("td") && event.target.closest("td").querySelector("input[type=checkbox]");
        if (!box) { return; }
        event.preventDefault();
        box.checked = !box.checked;
        painting = box.checked;
      });
      table.addEventListener("pointerover", function (event) {
        if (painting === null) { return; }
        var cell = event.target.closest("td");
        var box = cell && cell.querySelector("input[type=checkbox]");
        if (box) { box.checked = painting; }
      });
      // the click that follows a pointerdown would toggle the box back
      table.addEventListener("click", function (event) {
        if (event.target.matches("input[type=checkbox]") && event.detail > 0) { event.preventDefault(); }
      });
      document.addEventListener("pointerup", function () { painting = null; });
    });
  });
})();
