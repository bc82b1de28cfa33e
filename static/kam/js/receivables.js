// The payment-plan form (templates/receivables/plan_form.html): add installment rows, and show
// the running total of the installments against the contract amount. The form works without
// it (the empty row, and the server's check of the sum); this only saves a round trip.
(function () {
  "use strict";
  var form = document.querySelector("[data-schedule]");
  if (!form) return;
  var rows = form.querySelector("[data-installment-rows]");
  var template = form.querySelector("[data-installment-template]");
  var addButton = form.querySelector("[data-add-installment]");
  var totalLine = form.querySelector("[data-schedule-total]");
  var contract = form.querySelector("[data-contract-amount]");
  var totalForms = form.querySelector('input[name="installments-TOTAL_FORMS"]');
  var maxForms = form.querySelector('input[name="installments-MAX_NUM_FORMS"]');
  if (!rows || !template || !totalForms) return;
  // Sums in whole cents (BigInt), as the server compares them: exact.
  function cents(text) {
    var match = /^\s*(\d*)(?:\.(\d{0,2}))?\s*$/.exec(text || "");
    if (!match || (match[1] === "" && !match[2])) return null;
    return BigInt(match[1] || "0") * 100n + BigInt(((match[2] || "") + "00").slice(0, 2));
  }

  function money(value) {
    var yuan = value / 100n, fen = value % 100n;
    var text = String(yuan) + "." + (fen < 10n ? "0" : "") + String(fen);
    return window.kamMoney ? window.kamMoney(text) : "¥" + text;
  }

  function refresh() {
    var total = 0n;
    rows.querySelectorAll("[data-installment-amount]").forEach(function (input) {
      var row = input.closest(".installment-row");
      var drop = row && row.querySelector('input[type="checkbox"][name$="-DELETE"]');
      var value = cents(input.value);
      if (value !== null && !(drop && drop.checked)) total += value;
    });
    var target = contract ? cents(contract.value) : null;
    var labels = totalLine.dataset;
    var text = labels.textTotal + " " + money(total);
    if (target !== null) {
      text += " · " + labels.textContract + " " + money(target) + (total === target ? " ✓" : " · " + labels.textOff);
    }
    totalLine.textContent = text;
    totalLine.hidden = false;
    totalLine.classList.toggle("ok", target !== null && total === target);
    totalLine.classList.toggle("off", target !== null && total !== target);
  }

  function addRow() {
    var index = parseInt(totalForms.value, 10);
    if (maxForms && index >= parseInt(maxForms.value, 10)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    totalForms.value = String(index + 1);
    var inputs = rows.lastElementChild && rows.lastElementChild.querySelectorAll("input");
    if (inputs && inputs.length) inputs[0].focus();
  }

  if (addButton) {
    addButton.hidden = false;
    addButton.addEventListener("click", addRow);
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
})();
