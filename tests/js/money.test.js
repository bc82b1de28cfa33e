// kamMoney (static/kam/js/money.js) on the hand-worked cases that web/money.py is tested on:
// the charts and the pages read money the same way. Run by tests/web/test_money_js.py.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const fs = require("node:fs");

const kamMoney = require(path.join(__dirname, "..", "..", "static", "kam", "js", "money.js"));
const { cases } = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "web", "money_cases.json"), "utf8"));

for (const c of cases) {
  const name = JSON.stringify(c.value);
  test(`full form of ${name}`, () => {
    assert.equal(kamMoney(c.value, { language: "zh-hans" }), c.full);
    assert.equal(kamMoney(c.value, { language: "en" }), c.full);
  });
  test(`Chinese short form of ${name}`, () => {
    assert.equal(kamMoney(c.value, { short: true, language: "zh-hans" }), c.zh_short);
  });
  test(`English short form of ${name}`, () => {
    assert.equal(kamMoney(c.value, { short: true, language: "en" }), c.en_short);
  });
}

test("undefined has no amount; anything else is shown as given", () => {
  assert.equal(kamMoney(undefined), "—");
  assert.equal(kamMoney("n/a"), "n/a");
  assert.equal(kamMoney(NaN), "NaN");
});

test("numbers that print with an exponent", () => {
  assert.equal(kamMoney(1e-7), "¥0");
  assert.equal(kamMoney(1e20, { short: true, language: "zh" }), "¥1,000,000,000,000亿");
});

test("without a language it reads the page's, Chinese when there is no page", () => {
  assert.equal(kamMoney(1848160, { short: true }), "¥184.8万");
});
