// Progressive enhancement only: the page works without it.
// Picking a filter with the mouse or a finger applies it at once. From the keyboard the
// arrow keys only move the choice (no page change while browsing, WCAG 3.2.2): Apply,
// or Enter on it, applies.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("filters");
  if (!form) return;
  form.querySelectorAll("select").forEach(function (select) {
    var byPointer = false;
    select.addEventListener("pointerdown", function () { byPointer = true; });
    select.addEventListener("keydown", function () { byPointer = false; });
    select.addEventListener("change", function () { if (byPointer) form.submit(); });
  });
});
