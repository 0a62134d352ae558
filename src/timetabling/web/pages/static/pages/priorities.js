// The generation form's chosen priorities: picking a saved profile fills the weight fields with its weights
// (the usual weight where the profile gives none); editing a weight while a profile is picked switches the
// choice to "the weights below", so that the job runs with what the form shows. The profiles come from a JSON
// <script type="application/json" id="priority-profiles"> element: data, not code, under the strict CSP.
(function () {
  "use strict";

  function start() {
    var data = document.getElementById("priority-profiles");
    var choice = document.getElementById("id_priorities");
    if (!data || !choice) { return; }
    var known = JSON.parse(data.textContent);
    var fields = Object.keys(known.usual).map(function (rule) {
      return document.getElementById("id_weight_" + rule);
    }).filter(Boolean);

    function isProfile(name) { return Object.prototype.hasOwnProperty.call(known.profiles, name); }

    choice.addEventListener("change", function () {
      if (!isProfile(choice.value)) { return; }
      var weights = known.profiles[choice.value] || {};
      Object.keys(known.usual).forEach(function (rule) {
        var input = document.getElementById("id_weight_" + rule);
        if (input) { input.value = String(rule in weights ? weights[rule] : known.usual[rule]); }
      });
    });
    fields.forEach(function (input) {
      input.addEventListener("input", function () {
        if (isProfile(choice.value)) { choice.value = known.custom; }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
