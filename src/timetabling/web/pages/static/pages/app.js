// Small enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // phone widths: the navigation folds behind a Menu button
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("nav");
    if (toggle && nav) {
      document.body.classList.add("js-nav");
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        nav.classList.toggle("open", !open);
      });
    }
    // selects that choose what to show apply at once when picked with the mouse; with the keyboard, arrows
    // only move the choice and the Show button applies it
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      var byKeyboard = false;
      select.addEventListener("keydown", function () { byKeyboard = true; });
      select.addEventListener("pointerdown", function () { byKeyboard = false; });
      select.addEventListener("change", function () {
        if (byKeyboard) { return; }
        if (select.id === "kind") {
          var owner = select.form.querySelector("#owner");
          if (owner) { owner.disabled = true; }
        }
        select.form.submit();
      });
    });
    // widths from the server (a progress bar): set here, as the Content-Security-Policy forbids style attributes
    document.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = (parseFloat(el.getAttribute("data-width")) || 0) + "%";
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // new generation: show as many priority choices as variants asked for
    var count = document.getElementById("id_variant_count");
    if (count) {
      var update = function () {
        var n = parseInt(count.value, 10) || 0;
        document.querySelectorAll("[data-variant]").forEach(function (item) {
          item.hidden = parseInt(item.getAttribute("data-variant"), 10) > n;
        });
      };
      count.addEventListener("input", update);
      update();
    }
  });
})();
