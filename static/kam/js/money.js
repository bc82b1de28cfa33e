// Money as a person reads it: the twin of web/money.py `format_money`, for what scripts draw
// (chart labels, axes, tooltips, tables filled from the API). Same rule, same cases
// (tests/web/money_cases.json):
// - first rounded to the cent, half away from zero;
// - full: ¥1,848,160 · ¥1,234.50 (cents only when there are any) · -¥12,345;
// - short ({short: true}): no cents; in Chinese from 10万 in 万 (one decimal) and from 1亿 in 亿 (two
//   decimals), a trailing zero dropped: ¥184.8万, ¥1.23亿, -¥18.5万; in English whole yuan with
//   separators (no K/M);
// - null, undefined or "": "—"; anything that is not a number is shown as given.
// The language is the page's (<html lang>), or {language: "en"}. Exports never come here.
(function (root, factory) {
  "use strict";
  var kamMoney = factory();
  if (typeof module === "object" && module.exports) module.exports = kamMoney;
  else root.kamMoney = kamMoney;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  var NO_AMOUNT = "—";
  var WAN = 10000n, YI = 100000000n, SHORT_FROM = 100000n;

  // The amount in whole cents (a BigInt), rounded half away from zero; null when not a number.
  function cents(value) {
    var text;
    if (typeof value === "number") {
      if (!isFinite(value)) return null;
      text = String(value);
      if (/e/i.test(text)) text = value.toFixed(3);
      if (/e/i.test(text)) return null;
    } else if (typeof value === "string" || typeof value === "bigint") {
      text = String(value).trim();
    } else {
      return null;
    }
    var match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
    if (!match || (match[2] === "" && !match[3])) return null;
    var fraction = (match[3] || "") + "000";
    var result = BigInt((match[2] || "0") + fraction.slice(0, 2));
    if (fraction.charAt(2) >= "5") result += 1n;
    return match[1] === "-" ? -result : result;
  }

  // `amount / unit` rounded half away from zero (amount is not negative).
  function divide(amount, unit) {
    var whole = amount / unit, rest = amount % unit;
    return whole + (2n * rest >= unit ? 1n : 0n);
  }

  function group(digits) { return String(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  // `count` hundredths (places 2) or tenths (places 1), trailing zeros dropped.
  function decimals(count, places) {
    var scale = places === 2 ? 100n : 10n;
    var fraction = String(count % scale);
    while (fraction.length < places) fraction = "0" + fraction;
    fraction = fraction.replace(/0+$/, "");
    return group(count / scale) + (fraction ? "." + fraction : "");
  }

  function pageLanguage() {
    return (typeof document !== "undefined" && document.documentElement.lang) || "zh-hans";
  }

  return function kamMoney(value, options) {
    options = options || {};
    if (value === null || value === undefined || value === "") return NO_AMOUNT;
    var amount = cents(value);
    if (amount === null) return String(value);
    var sign = amount < 0n ? "-" : "";
    if (amount < 0n) amount = -amount;
    if (!options.short) {
      var fen = amount % 100n;
      return sign + "¥" + group(amount / 100n) + (fen ? "." + (fen < 10n ? "0" : "") + fen : "");
    }
    var yuan = divide(amount, 100n);
    if (yuan === 0n) return "¥0";
    var language = String(options.language || pageLanguage()).toLowerCase();
    if (language.indexOf("zh") !== 0 || yuan < SHORT_FROM) return sign + "¥" + group(yuan);
    var tenthsOfWan = divide(amount, WAN * 10n);
    if (tenthsOfWan < (YI / WAN) * 10n) return sign + "¥" + decimals(tenthsOfWan, 1) + "万";
    return sign + "¥" + decimals(divide(amount, YI), 2) + "亿";
  };
});
