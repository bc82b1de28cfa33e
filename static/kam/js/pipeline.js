// The pipeline board and opportunity page: moves, lost reasons and gate ticks posted with fetch
// (the same forms work without JavaScript), the gate checklist shown on the card when a move is
// refused, and drag and drop of a card to the next column on a desktop.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return; // plain forms and redirects do it all
  document.documentElement.classList.add("js-pipeline");

  var board = document.querySelector("[data-board]");
  var notice = document.querySelector("[data-board-notice]");

  function say(text) {
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = !text;
    if (text) notice.scrollIntoView({ block: "nearest" });
  }

  function showErrors(host, errors) {
    var box = host && host.querySelector("[data-action-errors]");
    if (!box) return;
    box.textContent = errors.join(" ");
    box.hidden = errors.length === 0;
  }

  // Go to the page the server names; a reload when only the #fragment would change.
  function go(url) {
    var target = new URL(url, window.location.href);
    var here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      window.location.reload();
    } else {
      window.location.assign(target.href);
    }
  }

  function busy(form, on) {
    form.querySelectorAll("button, input, textarea").forEach(function (field) { field.disabled = on; });
  }

  // Post `data` to the form's action; JSON comes back: where to go next, or errors and the
  // gate checklist to show in the card (or on the opportunity page).
  function send(form, data, focusItem) {
    var host = form.closest("[data-gate-host]");
    busy(form, true);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.redirect) { go(body.redirect); return; }
        var slot = host && host.querySelector("[data-gate-slot]");
        if (slot && typeof body.gate_html === "string") {
          slot.innerHTML = body.gate_html;
          var box = focusItem && slot.querySelector('[data-gate-tick][value="' + focusItem + '"]');
          if (box) box.focus();
          else if (slot.firstElementChild) slot.firstElementChild.scrollIntoView({ block: "nearest" });
        }
        showErrors(host, body.errors || []);
        if (form.isConnected) busy(form, false);
      })
      .catch(function () {
        // Not JSON (a lost session, a server error): let the browser post it and show the page.
        busy(form, false);
        HTMLFormElement.prototype.submit.call(form);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-move-form], form[data-gate-form]");
    if (!form) return;
    event.preventDefault();
    say("");
    send(form, new FormData(form));
  });

  // A tick saves at once: just that item.
  document.addEventListener("change", function (event) {
    var box = event.target.closest("input[data-gate-tick]");
    if (!box) return;
    var form = box.form;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    data.append("next", form.elements.next.value);
    data.append("items", box.value);
    if (box.checked) data.append("checked", box.value);
    send(form, data, box.value);
  });

  // Drag and drop, on a screen with a mouse: a card may go to the next column only.
  if (!board || !window.matchMedia("(hover: hover) and (pointer: fine)").matches) return;
  var dragged = null;
  board.querySelectorAll("[data-card][data-next-stage]").forEach(function (card) { card.draggable = true; });

  function columns() { return board.querySelectorAll("[data-column]"); }

  // While typing a reason in a card, the card does not drag (so text can be selected).
  board.addEventListener("focusin", function (event) {
    var card = event.target.matches("textarea, input") && event.target.closest("[data-card][data-next-stage]");
    if (card) card.draggable = false;
  });
  board.addEventListener("focusout", function (event) {
    var card = event.target.matches("textarea, input") && event.target.closest("[data-card][data-next-stage]");
    if (card) card.draggable = true;
  });

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-card][data-next-stage]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunityId);
    columns().forEach(function (column) {
      column.classList.toggle("drop-ok", column.dataset.column === card.dataset.nextStage);
    });
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    columns().forEach(function (column) { column.classList.remove("drop-ok", "drop-over"); });
  });

  board.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest("[data-column]");
    if (!column) return;
    event.preventDefault(); // every column takes the drop, to explain a wrong one
    event.dataTransfer.dropEffect = "move";
    columns().forEach(function (other) { other.classList.toggle("drop-over", other === column); });
  });

  board.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest("[data-column]");
    if (!column) return;
    event.preventDefault();
    var card = dragged;
    var stage = column.dataset.column;
    if (stage === card.dataset.stage) return;
    if (stage === card.dataset.nextStage) {
      var form = card.querySelector('form[data-move-form] input[name="to"][value="' + stage + '"]').form;
      say("");
      send(form, new FormData(form));
    } else if (stage === "lost") {
      var lose = card.querySelector("[data-lose]");
      lose.open = true;
      lose.querySelector("textarea").focus();
      say(board.dataset.lostHint);
    } else {
      say(board.dataset.oneStep.replace("{stage}", card.dataset.nextLabel));
    }
  });
})();
