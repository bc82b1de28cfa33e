// The visit form's optional check-in location. The browser is asked for the position only
// when the rep presses "use my location" (their consent); until then the hidden inputs stay
// empty and nothing about where they are is sent.
(function () {
  "use strict";

  function parts(box) {
    var field = function (name) { return box.querySelector('[data-location-field="' + name + '"]'); };
    return {
      latitude: field("latitude"),
      longitude: field("longitude"),
      accuracy: field("accuracy"),
      use: box.querySelector("[data-geolocate]"),
      clear: box.querySelector("[data-location-clear]"),
      status: box.querySelector("[data-location-status]"),
    };
  }

  function show(box, p) {
    var captured = p.latitude.value !== "" && p.longitude.value !== "";
    p.clear.hidden = !captured;
    if (captured) {
      var text = box.dataset.msgCaptured + ": " + p.latitude.value + ", " + p.longitude.value;
      if (p.accuracy.value !== "") text += " (±" + Math.round(Number(p.accuracy.value)) + " m)";
      p.status.textContent = text;
      p.status.classList.remove("error");
    }
    return captured;
  }

  function locate(box, p) {
    if (!("geolocation" in navigator)) {
      p.status.textContent = box.dataset.msgUnsupported;
      p.status.classList.add("error");
      return;
    }
    p.use.disabled = true;
    p.status.classList.remove("error");
    p.status.textContent = box.dataset.msgLocating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        // Six decimals (about 10 cm) is what the server stores.
        p.latitude.value = position.coords.latitude.toFixed(6);
        p.longitude.value = position.coords.longitude.toFixed(6);
        p.accuracy.value = Math.round(position.coords.accuracy * 10) / 10;
        p.use.disabled = false;
        show(box, p);
      },
      function () {
        p.use.disabled = false;
        p.status.textContent = box.dataset.msgFailed;
        p.status.classList.add("error");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  document.querySelectorAll("[data-location]").forEach(function (box) {
    var p = parts(box);
    p.use.hidden = false;
    show(box, p);
    p.use.addEventListener("click", function () { locate(box, p); });
    p.clear.addEventListener("click", function () {
      p.latitude.value = p.longitude.value = p.accuracy.value = "";
      p.status.textContent = "";
      p.clear.hidden = true;
    });
  });
})();
