// Loaded before Redoc's bundle on /api/redoc/. Redoc always draws Redocly's logo in its side menu
// from https://cdn.redoc.ly/ and has no option to leave it out; KAM loads nothing from another
// origin (the machines it runs on may have no internet, and the Content-Security-Policy would
// refuse it). An image on this page whose source is another web origin (not data:) gets no source and is hidden,
// so the browser never asks for it.
(function () {
  "use strict";
  function elsewhere(value) {
    try {
      var url = new URL(String(value), document.baseURI);
      return /^https?:$/.test(url.protocol) && url.origin !== window.location.origin;
    } catch (error) {
      return false;
    }
  }
  var image = HTMLImageElement.prototype;
  var setAttribute = Element.prototype.setAttribute;
  image.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && elsewhere(value)) {
      this.hidden = true;
      return;
    }
    setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(image, "src");
  Object.defineProperty(image, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (elsewhere(value)) {
        this.hidden = true;
        return;
      }
      src.set.call(this, value);
    },
  });
})();
