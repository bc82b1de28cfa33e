// Scoring page: live preview of tier changes while the model is edited, and a progress bar
// that follows a running scoring run until it ends.
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- live preview ---------------------------------------------------------------------
  var form = document.querySelector("form[data-preview-url]");
  var out = document.querySelector("[data-preview]");
  var timer = null;
  function preview() {
    var body = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[type=number]"), function (input) {
      if (input.value !== "") body[input.name] = input.value;
    });
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) {
        var messages = [];
        Object.keys(result.data).forEach(function (key) { messages = messages.concat(result.data[key]); });
        out.textContent = messages.join(" ");
        out.classList.add("form-error");
        return;
      }
      out.classList.remove("form-error");
      out.textContent = out.dataset.template
        .replace("{changed}", result.data.would_change_tier)
        .replace("{total}", result.data.customers)
        .replace("{up}", result.data.upgrades)
        .replace("{down}", result.data.downgrades);
    }).catch(function () { out.textContent = ""; });
  }
  if (form && out) {
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(preview, 400);
    });
  }

  // --- run progress ---------------------------------------------------------------------
  var panel = document.querySelector("[data-run-url]");
  function poll() {
    fetch(panel.dataset.runUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        panel.querySelector("[data-run-bar]").value = run.progress;
        panel.querySelector("[data-run-percent]").textContent = run.progress + "%";
        panel.querySelector("[data-run-status]").textContent = run.status;
        if (run.status === "succeeded" || run.status === "failed") {
          window.location.reload();
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (panel) setTimeout(poll, 500);
})();
