// KAM page behaviour shared by every page: the phone menu, auto-submitting selects, and
// sections folded on a phone but open on a wide screen.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
  // Same width as the desktop layout in kam.css (48rem).
  if (window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = true;
    });
  }
  // Panels that belong to another app (e.g. the score history on the customer page) are
  // loaded from that app's own URL and inserted as HTML.
  document.querySelectorAll("[data-panel-url]").forEach(function (panel) {
    fetch(panel.dataset.panelUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (html) panel.innerHTML = html; })
      .catch(function () { /* the page stays usable without the panel */ });
  });
})();
