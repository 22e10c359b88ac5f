// grunndata console: the only script. It reloads the page every 15 s when
// the operator asks for it (the choice is kept in this browser), never while
// a field has focus or on a page that answers a form (the audit search).
(function () {
  "use strict";
  var box = document.getElementById("autorefresh");
  if (!box) { return; }
  var key = "grunndata-console-autorefresh";
  try { box.checked = window.localStorage.getItem(key) === "1"; } catch (e) { /* storage off */ }
  box.addEventListener("change", function () {
    try { window.localStorage.setItem(key, box.checked ? "1" : "0"); } catch (e) { /* storage off */ }
  });
  window.setInterval(function () {
    if (!box.checked || document.body.dataset.noreload) { return; }
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" && a.type !== "checkbox" || a.tagName === "TEXTAREA")) { return; }
    window.location.assign("/console");
  }, 15000);
}());
