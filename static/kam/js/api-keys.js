// The API keys page: a button that copies the new key (shown only where the clipboard works;
// without it the key is still there to select by hand).
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.dataset.copy);
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  });
  document.querySelectorAll("input[readonly][data-testid='api-key-value']").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
