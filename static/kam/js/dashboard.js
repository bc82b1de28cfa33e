// Manager dashboard: every card fetches its chart's JSON from the dashboard API with the
// current filters, draws the chart with ECharts and fills the table beside it. Changing a
// filter re-fetches every card and keeps the filters in the address bar (reload or share it).
// Words come translated from the page (#dashboard-labels); none are written here.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=dashboard]");
  if (!root || !window.echarts) return;

  var L = JSON.parse(document.getElementById("dashboard-labels").textContent);
  var form = root.querySelector("[data-dashboard-filters]");
  var lang = document.documentElement.lang || "zh-hans";
  var TIERS = Object.keys(L.tiers);
  var TIER_COLORS = { platinum: "#2d3a4f", gold: "#d9a21b", iron: "#7d8797", lead: "#b9c1cc" };
  var STAGE_COLORS = ["#1f4e8c", "#30619f", "#4474b1", "#5b88c2", "#749cd0"];
  var BRAND = "#1f4e8c", ACCENT = "#d9a21b", DANGER = "#b3261e", OK = "#1e7b3a", MUTED = "#5d6b7e", LINE = "#dde3ea";

  // --- formatting -----------------------------------------------------------------------
  function numberFormat(options) {
    try { return new Intl.NumberFormat(lang, options); } catch (error) { return new Intl.NumberFormat(undefined, options); }
  }
  var decimal = numberFormat({ maximumFractionDigits: 2 });
  function missing(value) { return value === null || value === undefined || value === ""; }
  function num(value) { return missing(value) ? L.none : decimal.format(Number(value)); }
  // Money by the one rule (static/kam/js/money.js): exact in the tables, short (万/亿 in Chinese)
  // in chart labels, axes, tooltips and the figures above a chart, with the exact one on hover.
  function money(value) { return missing(value) ? L.none : window.kamMoney(value); }
  function moneyShort(value) { return missing(value) ? L.none : window.kamMoney(value, { short: true }); }
  function pct(value) { return missing(value) ? L.none : decimal.format(Number(value)) + "%"; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function day(iso) {
    if (!iso) return L.none;
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
    var d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function tierName(tier) { return L.tiers[tier] || tier || L.none; }
  function customerUrl(id) { return root.dataset.customerUrl.replace(/0\/$/, id + "/"); }
  function openCustomer(params) { if (params.data && params.data.id) window.location.href = customerUrl(params.data.id); }

  // --- tables and figures ------------------------------------------------------------------
  function td(content, className) {
    var cell = document.createElement("td");
    if (content instanceof Node) cell.appendChild(content); else cell.textContent = content;
    if (className) cell.className = className;
    return cell;
  }
  function customerLink(id, name) {
    var a = document.createElement("a");
    a.href = customerUrl(id);
    a.textContent = name;
    a.setAttribute("data-testid", "customer-link");
    return a;
  }
  function tierCell(tier) {
    var span = document.createElement("span");
    if (TIER_COLORS[tier]) {
      var swatch = document.createElement("i");
      swatch.className = "swatch";
      swatch.style.background = TIER_COLORS[tier];
      span.appendChild(swatch);
    }
    span.appendChild(document.createTextNode(tierName(tier)));
    return td(span, "nowrap");
  }
  // rows: a list of arrays of cells (from td()); an empty list shows "no data".
  function fill(card, testid, rows) {
    var table = card.querySelector("[data-testid=" + testid + "]");
    var body = table.tBodies[0];
    body.textContent = "";
    if (!rows.length) {
      var cell = td(L.no_data, "empty-cell");
      cell.colSpan = table.tHead.rows[0].cells.length;
      var empty = document.createElement("tr");
      empty.appendChild(cell);
      body.appendChild(empty);
      return;
    }
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      if (cells.className) tr.className = cells.className;
      cells.forEach(function (cell) { tr.appendChild(cell); });
      body.appendChild(tr);
    });
  }
  function figure(card, name, text, title) {
    var dd = card.querySelector("[data-figure=" + name + "]");
    if (!dd) return;
    dd.textContent = text;
    var more = Boolean(title) && title !== text;  // a short figure: the exact one on hover
    if (more) dd.title = title; else dd.removeAttribute("title");
    dd.classList.toggle("money", more);
  }

  // --- charts -----------------------------------------------------------------------------
  var charts = {};
  function chartFor(card) {
    var name = card.dataset.chart;
    if (!charts[name]) {
      charts[name] = echarts.init(card.querySelector(".chart"), null, {
        locale: lang.indexOf("zh") === 0 ? "ZH" : "EN"
      });
      // Points and bars that stand for one customer open it (matrix, churn risk).
      charts[name].on("click", openCustomer);
    }
    return charts[name];
  }
  // Short animations, none for people who ask for reduced motion; each chart replaces the last.
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function show(chart, option) {
    option.animation = !still;
    option.animationDuration = 400;
    option.animationDurationUpdate = 300;
    chart.setOption(option, true);
  }
  function message(chart, text, color) {
    show(chart, {
      graphic: [{
        type: "text", left: "center", top: "middle",
        style: { text: text, fill: color || MUTED, fontSize: 14, width: 260, overflow: "break", align: "center" }
      }]
    });
  }
  var axisText = { color: MUTED, fontSize: 11 };

  var draw = {};

  draw.pyramid = function (card, data, chart) {
    var rows = data.rows;
    var count = 0, revenue = 0;
    rows.forEach(function (row) { count += row.count; revenue += Number(row.revenue); });
    card.querySelector("[data-testid=pyramid-total]").textContent = num(count);
    card.querySelector("[data-testid=pyramid-total]").dataset.value = count;
    card.querySelector("[data-total-revenue]").textContent = money(revenue);
    fill(card, "table-pyramid", rows.map(function (row) {
      return [tierCell(row.tier), td(num(row.count), "num"), td(money(row.revenue), "num"), td(pct(row.revenue_share), "num")];
    }));
    if (!count) return message(chart, L.no_data);
    // A pyramid, platinum at the top: the band widths show the tier's place; the labels carry the
    // numbers. A tier with no customer gets no band (the table still lists it with 0).
    rows = rows.filter(function (row) { return row.count > 0; });
    show(chart, {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return escapeHtml(p.data.tierName) + "<br>" + escapeHtml(L.customers) + ": " + num(p.data.count) +
            "<br>" + escapeHtml(L.revenue_share) + ": " + pct(p.data.share);
        }
      },
      series: [{
        type: "funnel", sort: "ascending", min: 0, max: rows.length, minSize: "0%", maxSize: "100%",
        left: "4%", width: "58%", top: 12, bottom: 12, gap: 3,
        label: {
          position: "right", color: "#1d2430", fontSize: 12, lineHeight: 17,
          formatter: function (p) { return "{tier|" + p.data.tierName + "}\n" + num(p.data.count) + " · " + pct(p.data.share); },
          rich: { tier: { fontWeight: 600, fontSize: 13 } }
        },
        labelLine: { lineStyle: { color: LINE } },
        data: rows.map(function (row, index) {
          return {
            name: row.tier, value: index + 1, tierName: tierName(row.tier), count: row.count, share: row.revenue_share,
            itemStyle: { color: TIER_COLORS[row.tier] }
          };
        })
      }]
    });
  };

  draw.pareto = function (card, data, chart) {
    var rows = data.rows;
    figure(card, "a_customer_share", pct(data.a_customer_share));
    figure(card, "revenue_12m", moneyShort(data.revenue_12m), money(data.revenue_12m));
    fill(card, "table-pareto", rows.map(function (row) {
      return [td(num(row.customers), "num"), td(pct(row.customer_share), "num"), td(pct(row.revenue_share), "num")];
    }));
    if (!rows.length) return message(chart, L.no_data);
    var points = [[0, 0]].concat(rows.map(function (row) { return [Number(row.customer_share), Number(row.revenue_share)]; }));
    var aShare = Number(data.a_customer_share);
    show(chart, {
      grid: { left: 12, right: 24, top: 30, bottom: 12 },
      tooltip: {
        trigger: "axis",
        formatter: function (params) {
          var p = params[0].data;
          return escapeHtml(L.customer_share) + ": " + pct(p[0]) + "<br>" + escapeHtml(L.cumulative_revenue) + ": " + pct(p[1]);
        }
      },
      xAxis: {
        type: "value", min: 0, max: 100, name: L.customer_share, nameLocation: "middle", nameGap: 24,
        nameTextStyle: axisText, axisLabel: { color: MUTED, formatter: "{value}%" }, splitLine: { lineStyle: { color: LINE } }
      },
      yAxis: {
        type: "value", min: 0, max: 100, name: L.cumulative_revenue, nameTextStyle: axisText,
        axisLabel: { color: MUTED, formatter: "{value}%" }, splitLine: { lineStyle: { color: LINE } }
      },
      series: [{
        type: "line", data: points, showSymbol: false, lineStyle: { color: BRAND, width: 2 }, itemStyle: { color: BRAND },
        areaStyle: { color: BRAND, opacity: 0.1 },
        markLine: {
          symbol: "none", silent: true,
          data: [
            { yAxis: 80, lineStyle: { color: DANGER, type: "dashed" }, label: { formatter: "80%", position: "insideStartTop", color: DANGER } },
            { xAxis: aShare, lineStyle: { color: ACCENT, type: "dashed" },
              label: { formatter: L.a_class + " " + pct(aShare), position: "insideEndTop", color: "#7a5600" } }
          ]
        }
      }]
    });
  };

  // A point's small sideways offset, fixed per customer, so equal ratings do not hide each other.
  function jitter(id) { return ((id * 7919) % 97 / 97 - 0.5) * 0.5; }

  draw.matrix = function (card, data, chart) {
    var total = 0;
    fill(card, "table-matrix", data.rows.map(function (row) {
      total += row.count;
      return [td(L.quadrants[row.quadrant] || row.quadrant), td(num(row.count), "num")];
    }));
    card.querySelector("[data-testid=matrix-total]").textContent = num(total);
    if (!data.points.length) return message(chart, L.no_data);
    var top = 0;
    data.points.forEach(function (p) { top = Math.max(top, Number(p.sales_12m)); });
    var area = function (quadrant, x0, y0, x1, y1, position) {
      return [
        { xAxis: x0, yAxis: y0, name: L.quadrants[quadrant], label: { position: position } },
        { xAxis: x1, yAxis: y1 }
      ];
    };
    show(chart, {
      grid: { left: 12, right: 16, top: 30, bottom: 12 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var d = p.data;
          return "<strong>" + escapeHtml(d.name) + "</strong><br>" + escapeHtml(L.potential) + ": " +
            (d.potential ? d.potential : escapeHtml(L.not_rated)) + "<br>" + escapeHtml(L.value_rank) + ": " + num(d.value[1]) +
            "<br>" + escapeHtml(L.sales_12m) + ": " + moneyShort(d.sales);
        }
      },
      xAxis: {
        type: "value", min: -0.5, max: 5.5, interval: 1, name: L.potential, nameLocation: "middle", nameGap: 24,
        nameTextStyle: axisText, splitLine: { show: false },
        axisTick: { customValues: [0, 1, 2, 3, 4, 5] },
        axisLabel: {
          color: MUTED, customValues: [0, 1, 2, 3, 4, 5],
          formatter: function (v) { return v === 0 ? L.not_rated : String(v); }
        }
      },
      yAxis: {
        type: "value", min: 0, max: 100, name: L.value_rank, nameTextStyle: axisText,
        axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } }
      },
      series: [{
        type: "scatter", cursor: "pointer",
        symbolSize: function (value, p) { return top > 0 ? 7 + 11 * Math.sqrt(Number(p.data.sales) / top) : 8; },
        itemStyle: { color: BRAND, opacity: 0.75, borderColor: "#fff", borderWidth: 1 },
        data: data.points.map(function (p) {
          return {
            id: p.id, name: p.name, potential: p.potential, sales: p.sales_12m,
            value: [(p.potential || 0) + jitter(p.id), Number(p.value_rank)]
          };
        }),
        markLine: {
          symbol: "none", silent: true, lineStyle: { color: MUTED, type: "dashed" }, label: { show: false },
          data: [{ xAxis: 3.5 }, { yAxis: 50 }]
        },
        markArea: {
          silent: true, itemStyle: { color: "rgba(31, 78, 140, 0.04)" },
          label: { color: MUTED, fontSize: 12, fontWeight: 600 },
          data: [
            area("key", 3.5, 50, 5.5, 100, "insideTopRight"),
            area("develop", 3.5, 0, 5.5, 50, "insideBottomRight"),
            area("maintain", -0.5, 50, 3.5, 100, "insideTopLeft"),
            area("basic", -0.5, 0, 3.5, 50, "insideBottomLeft")
          ]
        }
      }]
    });
  };

  draw.movements = function (card, data, chart) {
    figure(card, "upgrades", num(data.upgrades));
    figure(card, "downgrades", num(data.downgrades));
    figure(card, "run", data.run ? day(data.run.as_of) + " #" + data.run.id : L.none);
    fill(card, "table-movements", data.rows.map(function (row) {
      var up = row.direction === "upgrade";
      var change = document.createElement("span");
      change.className = up ? "move-up" : "move-down";
      change.textContent = (up ? "↑ " : "↓ ") + (L.directions[row.direction] || row.direction);
      return [td(customerLink(row.customer, row.name)), tierCell(row.from_tier), tierCell(row.to_tier), td(change)];
    }));
    card.dataset.firstRun = data.first_run ? "true" : "false";
    if (data.first_run) return message(chart, L.first_run);  // nothing could have moved yet
    if (!data.matrix.length) return message(chart, L.no_data);
    var top = 1;
    var cells = [];
    data.matrix.forEach(function (pair) {
      top = Math.max(top, pair.count);
      cells.push([TIERS.indexOf(pair.to_tier), TIERS.indexOf(pair.from_tier), pair.count]);
    });
    var names = TIERS.map(tierName);
    show(chart, {
      grid: { left: 12, right: 16, top: 30, bottom: 12 },
      tooltip: {
        formatter: function (p) {
          return escapeHtml(names[p.data[1]]) + " → " + escapeHtml(names[p.data[0]]) + ": " + num(p.data[2]);
        }
      },
      xAxis: { type: "category", data: names, name: L.to_tier, nameLocation: "middle", nameGap: 24, nameTextStyle: axisText,
        axisLabel: { color: MUTED }, splitArea: { show: true } },
      yAxis: { type: "category", data: names, name: L.from_tier, nameLocation: "start", nameTextStyle: axisText, inverse: true,
        axisLabel: { color: MUTED }, splitArea: { show: true } },
      visualMap: { show: false, min: 0, max: top, inRange: { color: ["#dbe6f5", BRAND] } },
      series: [{
        type: "heatmap", data: cells,
        label: { show: true, color: "#fff", fontWeight: 600, formatter: function (p) { return num(p.data[2]); } },
        itemStyle: { borderColor: "#fff", borderWidth: 2 }
      }]
    });
  };

  draw.concentration = function (card, data, chart) {
    var format = function (row, value) { return row.measure === "hhi" ? num(value) : pct(value); };
    card.querySelector("[data-testid=concentration-warning]").hidden = !data.warnings.length;
    fill(card, "table-concentration", data.rows.map(function (row) {
      var cells = [td((row.warning ? "⚠ " : "") + L.measures[row.measure]), td(format(row, row.value), "num"),
        td(format(row, row.limit), "num")];
      if (row.warning) cells.className = "warn";
      return cells;
    }));
    var hhi = data.rows.filter(function (row) { return row.measure === "hhi"; })[0];
    figure(card, "hhi", hhi ? num(hhi.value) : L.none);
    figure(card, "hhi_limit", hhi ? num(hhi.limit) : L.none);
    if (!Number(data.revenue_12m)) return message(chart, L.no_data);
    // The revenue shares on one percent axis, each with its own limit; the HHI (another unit) is a figure above.
    var shares = data.rows.filter(function (row) { return row.measure !== "hhi"; });
    var highest = Math.max.apply(null, shares.map(function (row) { return Math.max(Number(row.value), Number(row.limit)); }));
    show(chart, {
      grid: { left: 12, right: 56, top: 30, bottom: 12 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var row = p.data.row;
          return escapeHtml(L.measures[row.measure]) + ": " + pct(row.value) + "<br>" + escapeHtml(L.limit) + ": " + pct(row.limit);
        }
      },
      xAxis: { type: "value", min: 0, max: Math.min(100, Math.ceil(highest / 10) * 10 + 10),
        axisLabel: { color: MUTED, formatter: "{value}%" }, splitLine: { lineStyle: { color: LINE } } },
      yAxis: { type: "category", inverse: true, data: shares.map(function (row) { return L.measures[row.measure]; }),
        axisLabel: { color: MUTED, width: 96, overflow: "break" } },
      series: [
        {
          type: "bar", barWidth: "45%",
          data: shares.map(function (row) {
            return { value: Number(row.value), row: row, itemStyle: { color: row.warning ? DANGER : OK, borderRadius: [0, 4, 4, 0] } };
          }),
          label: { show: true, position: "right", color: "#1d2430", formatter: function (p) { return pct(p.data.row.value); } }
        },
        {
          // Each share's limit, drawn on its own bar's row.
          type: "scatter", symbol: "rect", symbolSize: [3, 26], silent: true, itemStyle: { color: DANGER },
          data: shares.map(function (row, index) { return { value: [Number(row.limit), index], row: row }; }),
          tooltip: { show: false }
        }
      ]
    });
  };

  function riskBadge(label, testid) {
    var badge = document.createElement("span");
    badge.className = "badge danger";
    badge.textContent = label;
    badge.setAttribute("data-testid", testid);
    return badge;
  }
  // A customer cell with the other risk flagged beside the name (churn list: credit risk).
  function customerWithFlag(row, flagged, label, testid) {
    var cell = td(customerLink(row.id, row.name));
    if (flagged) { cell.appendChild(document.createTextNode(" ")); cell.appendChild(riskBadge(label, testid)); }
    return cell;
  }

  draw.churn = function (card, data, chart) {
    figure(card, "count", num(data.count));
    figure(card, "credit_risk_count", num(data.credit_risk_count));
    fill(card, "table-churn", data.rows.map(function (row) {
      return [customerWithFlag(row, row.credit_risk, L.credit_risk, "churn-credit-risk"), tierCell(row.tier),
        td(L.lifecycle[row.lifecycle_stage] || L.none, "hide-phone"),
        td(money(row.sales_12m), "num"), td(row.owner_name || L.none, "hide-phone"), td(day(row.last_visit_at), "nowrap")];
    }));
    fill(card, "table-credit-risk", data.credit_risk_rows.map(function (row) {
      return [customerWithFlag(row, row.churn_risk, L.churn_risk, "credit-churn-risk"), tierCell(row.tier),
        td(row.owner_name || L.none, "hide-phone"), td(day(row.oldest_open_due_on), "nowrap"), td(num(row.days_overdue), "num far")];
    }));
    if (!data.rows.length) return message(chart, L.no_data);
    var top = data.rows.slice(0, 10);
    show(chart, {
      grid: { left: 12, right: 24, top: 30, bottom: 12 },
      tooltip: {
        trigger: "item",
        formatter: function (p) { return escapeHtml(p.data.name) + "<br>" + escapeHtml(L.sales_12m) + ": " + moneyShort(p.data.sales); }
      },
      xAxis: { type: "value", name: L.sales_12m, nameTextStyle: axisText, splitLine: { lineStyle: { color: LINE } },
        axisLabel: { color: MUTED, formatter: moneyShort, hideOverlap: true } },
      yAxis: { type: "category", inverse: true, data: top.map(function (row) { return row.name; }),
        axisLabel: { color: MUTED, width: 110, overflow: "truncate" } },
      series: [{
        type: "bar", cursor: "pointer", barMaxWidth: 18,
        data: top.map(function (row) {
          return { id: row.id, name: row.name, value: Number(row.sales_12m), sales: row.sales_12m, itemStyle: { color: TIER_COLORS[row.tier] || DANGER } };
        })
      }]
    });
  };

  draw.funnel = function (card, data, chart) {
    var rows = data.rows;
    figure(card, "won", num(data.won));
    figure(card, "lost", num(data.lost.count) + " · " + moneyShort(data.lost.amount),
      num(data.lost.count) + " · " + money(data.lost.amount));
    fill(card, "table-funnel", rows.map(function (row) {
      return [td(L.stages[row.stage] || row.stage), td(num(row.count), "num"), td(money(row.amount), "num"),
        td(num(row.reached), "num hide-phone"), td(pct(row.conversion_to_next), "num"), td(num(row.avg_days), "num")];
    }));
    var reached = rows.reduce(function (max, row) { return Math.max(max, row.reached); }, 0);
    if (!reached) return message(chart, L.no_data);
    show(chart, {
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var row = p.data.row;
          return escapeHtml(L.stages[row.stage] || row.stage) + "<br>" + escapeHtml(L.reached) + ": " + num(row.reached) +
            "<br>" + moneyShort(row.amount) + (missing(row.conversion_to_next) ? "" : "<br>→ " + pct(row.conversion_to_next));
        }
      },
      series: [{
        type: "funnel", sort: "none", min: 0, max: reached, minSize: "6%", left: "4%", width: "52%", top: 12, bottom: 12, gap: 2,
        labelLine: { lineStyle: { color: LINE } },
        label: {
          position: "right", color: "#1d2430", fontSize: 12,
          formatter: function (p) { return (L.stages[p.data.row.stage] || p.data.row.stage) + "  " + num(p.data.row.reached); }
        },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        data: rows.map(function (row, index) {
          return {
            name: row.stage, value: row.reached, row: row,
            itemStyle: { color: row.stage === "won" ? OK : STAGE_COLORS[index] }
          };
        })
      }]
    });
  };

  draw.activity = function (card, data, chart) {
    var keys = data.key_accounts;
    ["key_accounts", "not_visited_30d", "not_visited_60d", "not_visited_90d"].forEach(function (name) {
      figure(card, name, num(keys[name]));
    });
    figure(card, "period", "(" + day(data.period.start) + " – " + day(data.period.end) + ")");
    fill(card, "table-activity", data.rows.map(function (row) {
      return [td(row.name || L.none), td(num(row.visits), "num"), td(num(row.customers), "num"),
        td(num(row.far_checkins), row.far_checkins ? "num far" : "num")];
    }));
    fill(card, "table-neglected", data.neglected.map(function (row) {
      return [td(customerLink(row.id, row.name)), td(row.owner_name || L.none), td(day(row.last_visit_at))];
    }));
    if (!data.rows.length) return message(chart, L.no_data);
    var reps = data.rows.slice(0, 12);
    show(chart, {
      grid: { left: 12, right: 20, top: 30, bottom: 12 },
      legend: { top: 0, right: 0, textStyle: { color: MUTED } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
      yAxis: { type: "category", inverse: true, data: reps.map(function (row) { return row.name || L.none; }),
        axisLabel: { color: MUTED, width: 90, overflow: "truncate" } },
      series: [
        { type: "bar", name: L.visits, data: reps.map(function (row) { return row.visits; }), itemStyle: { color: BRAND }, barMaxWidth: 16 },
        { type: "bar", name: L.visited_customers, data: reps.map(function (row) { return row.customers; }), itemStyle: { color: ACCENT }, barMaxWidth: 16 },
        { type: "bar", name: L.far_checkins, data: reps.map(function (row) { return row.far_checkins; }), itemStyle: { color: DANGER }, barMaxWidth: 16 }
      ]
    });
  };

  draw.trend = function (card, data, chart) {
    var runs = [], byRun = {};
    data.rows.forEach(function (row) {
      if (!byRun[row.run]) { byRun[row.run] = { run: row.run, as_of: row.as_of, tiers: {} }; runs.push(byRun[row.run]); }
      byRun[row.run].tiers[row.tier] = row;
    });
    var runLabel = function (run) { return day(run.as_of) + " #" + run.run; };
    fill(card, "table-trend", runs.slice().reverse().map(function (run) {
      return [td(runLabel(run))].concat(TIERS.map(function (tier) {
        var row = run.tiers[tier];
        return td(row ? num(row.avg_score) : L.none, "num");
      }));
    }));
    if (!runs.length) return message(chart, L.no_data);
    show(chart, {
      grid: { left: 12, right: 20, top: 30, bottom: 40 },
      legend: { bottom: 0, textStyle: { color: MUTED } },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return num(v); } },
      xAxis: { type: "category", data: runs.map(runLabel), boundaryGap: false, axisLabel: { color: MUTED, hideOverlap: true } },
      yAxis: { type: "value", min: 0, max: 100, name: L.avg_score, nameTextStyle: axisText,
        axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
      series: TIERS.map(function (tier) {
        return {
          type: "line", name: tierName(tier), connectNulls: true, symbolSize: 7,
          itemStyle: { color: TIER_COLORS[tier] }, lineStyle: { color: TIER_COLORS[tier], width: 2 },
          data: runs.map(function (run) { return run.tiers[tier] ? Number(run.tiers[tier].avg_score) : null; })
        };
      })
    });
  };

  // Service-level coverage: per tier, customers on track, due and overdue (stacked), with the
  // compliance (share not overdue) per tier and per rep, and the overdue accounts.
  var COVERAGE_COLORS = { on_track: OK, due: ACCENT, overdue: DANGER };
  function coverageCells(row) {
    return [td(num(row.customers), "num hide-phone"), td(num(row.on_track), "num hide-phone"), td(num(row.due), "num"),
      td(num(row.overdue), row.overdue ? "num far" : "num"), td(pct(row.compliance), "num")];
  }
  function coverageTier(tier) { return tier ? tierCell(tier) : td(L.not_tiered); }

  draw.coverage = function (card, data, chart) {
    figure(card, "compliance", pct(data.total.compliance));
    figure(card, "due", num(data.total.due));
    figure(card, "overdue", num(data.total.overdue));
    figure(card, "overdue_shown", data.rows.length < data.overdue_count
      ? "(" + L.overdue_shown.replace("%(shown)s", num(data.rows.length)).replace("%(count)s", num(data.overdue_count)) + ")" : "");
    var tiers = data.tiers.filter(function (row) { return row.tier || row.customers; });
    fill(card, "table-coverage-tiers", tiers.map(function (row) { return [coverageTier(row.tier)].concat(coverageCells(row)); }));
    fill(card, "table-coverage-reps", data.reps.map(function (row) { return [td(row.owner_name || L.none)].concat(coverageCells(row)); }));
    fill(card, "table-coverage-overdue", data.rows.map(function (row) {
      return [td(customerLink(row.id, row.name)), coverageTier(row.tier), td(row.owner_name || L.none, "hide-phone"),
        td(L.requirements[row.requirement] || row.requirement), td(row.last_on ? day(row.last_on) : L.never, "nowrap hide-phone"),
        td(missing(row.days_overdue) ? L.never : num(row.days_overdue), "num")];
    }));
    if (!data.total.customers) return message(chart, L.no_data);
    var names = tiers.map(function (row) { return row.tier ? tierName(row.tier) : L.not_tiered; });
    show(chart, {
      grid: { left: 12, right: 20, top: 30, bottom: 12 },
      legend: { top: 0, right: 0, textStyle: { color: MUTED } },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (params) {
          var row = tiers[params[0].dataIndex];
          return escapeHtml(names[params[0].dataIndex]) + "<br>" + params.map(function (p) {
            return escapeHtml(p.seriesName) + ": " + num(p.value);
          }).join("<br>") + "<br>" + escapeHtml(L.compliance) + ": " + pct(row.compliance);
        }
      },
      xAxis: { type: "value", minInterval: 1, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } },
      yAxis: { type: "category", inverse: true, data: names, axisLabel: { color: MUTED, width: 90, overflow: "truncate" } },
      series: ["on_track", "due", "overdue"].map(function (status) {
        return {
          type: "bar", stack: "coverage", name: L.coverage[status], barMaxWidth: 22,
          itemStyle: { color: COVERAGE_COLORS[status] },
          data: tiers.map(function (row) { return row[status]; })
        };
      })
    });
  };

  // Receivables aging (payment collection): open money by days past due, in total (the chart),
  // per team, per rep and per customer (most overdue first); credit risk marks > 30 days.
  var BUCKETS = ["not_due", "days_1_30", "days_31_60", "days_61_90", "over_90"];
  var BUCKET_COLORS = { not_due: OK, days_1_30: ACCENT, days_31_60: "#d9731b", days_61_90: "#c4471f", over_90: DANGER };
  function agingCells(row) {
    return BUCKETS.map(function (key) {
      return td(money(row[key]), key === "over_90" ? (Number(row[key]) ? "num far" : "num") : "num hide-phone");
    }).concat([td(money(row.overdue), Number(row.overdue) ? "num far" : "num"), td(money(row.open), "num")]);
  }
  function withRiskBadge(cell, row) {
    if (row.credit_risk) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(riskBadge(L.credit_risk, "aging-credit-risk"));
    }
    return cell;
  }

  draw.aging = function (card, data, chart) {
    figure(card, "open", moneyShort(data.total.open), money(data.total.open));
    figure(card, "overdue", moneyShort(data.total.overdue), money(data.total.overdue));
    figure(card, "customers_count", num(data.customers_count));
    figure(card, "customers_shown", data.rows.length < data.customers_count
      ? "(" + L.overdue_shown.replace("%(shown)s", num(data.rows.length)).replace("%(count)s", num(data.customers_count)) + ")" : "");
    fill(card, "table-aging-teams", data.teams.map(function (row) {
      return [td(row.team_name || L.no_team)].concat(agingCells(row));
    }));
    fill(card, "table-aging-reps", data.reps.map(function (row) {
      return [withRiskBadge(td(row.owner_name || L.none), row)].concat(agingCells(row));
    }));
    fill(card, "table-aging-customers", data.rows.map(function (row) {
      return [withRiskBadge(td(customerLink(row.id, row.name)), row)].concat(agingCells(row));
    }));
    if (!Number(data.total.open)) return message(chart, L.no_data);
    show(chart, {
      grid: { left: 12, right: 24, top: 30, bottom: 12 },
      tooltip: {
        trigger: "item",
        formatter: function (p) { return escapeHtml(L.buckets[p.data.key]) + ": " + money(p.data.amount); }
      },
      xAxis: { type: "value", name: L.open_amount, nameTextStyle: axisText, splitLine: { lineStyle: { color: LINE } },
        axisLabel: { color: MUTED, formatter: moneyShort, hideOverlap: true } },
      yAxis: { type: "category", inverse: true, data: BUCKETS.map(function (key) { return L.buckets[key]; }),
        axisLabel: { color: MUTED, width: 90, overflow: "truncate" } },
      series: [{
        type: "bar", barMaxWidth: 20,
        label: { show: true, position: "right", color: "#1d2430", formatter: function (p) { return moneyShort(p.data.amount); } },
        data: BUCKETS.map(function (key) {
          return { key: key, amount: data.total[key], value: Number(data.total[key]), itemStyle: { color: BUCKET_COLORS[key] } };
        })
      }]
    });
  };

  // --- loading ----------------------------------------------------------------------------
  var cards = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
  var status = root.querySelector("[data-dashboard-status]");
  var generation = 0;

  function currentQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) params.append(name, value); });
    return params.toString();
  }

  function load(updateAddress) {
    var start = form.elements.start, end = form.elements.end;
    if (start && end && start.value && end.value && start.value > end.value) {
      status.textContent = L.period_invalid;  // the API would refuse it: keep the charts as they are
      return;
    }
    var query = currentQuery();
    var mine = ++generation;
    var pending = cards.length;
    if (updateAddress) window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    root.dataset.state = "loading";
    cards.forEach(function (card) {
      var endpoint = card.dataset.endpoint;
      card.querySelector("[data-csv]").href = endpoint + "?" + (query ? query + "&" : "") + "download=csv";
      card.setAttribute("aria-busy", "true");
      fetch(endpoint + (query ? "?" + query : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          if (mine !== generation) return;
          card.classList.remove("dash-error");
          draw[card.dataset.chart](card, data, chartFor(card));
        })
        .catch(function () {
          if (mine !== generation) return;
          card.classList.add("dash-error");
          message(chartFor(card), L.load_error, DANGER);
        })
        .then(function () {
          if (mine !== generation) return;
          card.removeAttribute("aria-busy");
          pending -= 1;
          if (!pending) {
            root.dataset.state = "ready";
            root.dataset.query = query;
            status.textContent = "";
          }
        });
    });
  }

  form.addEventListener("change", function () { load(true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); load(true); });

  var resizing = null;
  window.addEventListener("resize", function () {
    if (resizing) window.cancelAnimationFrame(resizing);
    resizing = window.requestAnimationFrame(function () {
      Object.keys(charts).forEach(function (name) { charts[name].resize(); });
    });
  });

  load(false);
})();
