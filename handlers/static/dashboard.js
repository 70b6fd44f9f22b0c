// Progressive enhancement only: the page works without it.
// Changing a filter applies it at once (the Apply button stays for keyboards and no-JS).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("filters");
  if (!form) return;
  form.classList.add("live");
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () { form.submit(); });
  });
});
