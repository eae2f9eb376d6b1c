"""The report's stylesheet and its small script (sortable table, seed rows, printing)."""

from __future__ import annotations

__all__ = ["REPORT_CSS", "REPORT_JS"]

REPORT_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; --accent: #4C78A8; }
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; color: var(--ink); background: #fff;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       line-height: 1.45; }
main, header.report, nav.contents { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header.report { padding-top: 22px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
header.report h1 { margin: 0 0 2px; font-size: 1.6rem; font-weight: 650; }
header.report .lead { margin: 0 0 12px; color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0 0 10px;
           font-size: 0.9rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
dl.facts code, .note code { font-size: 0.85rem; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
dl.facts details.parameters summary { cursor: pointer; }
dl.facts details.parameters ul { margin: 4px 0 2px; padding-left: 18px; color: var(--muted); }
.warning { background: #fff4e5; border: 1px solid #f0c27b; padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
nav.contents { position: sticky; top: 0; z-index: 10; background: rgba(255,255,255,0.95);
               border-bottom: 1px solid var(--line); padding-top: 6px; padding-bottom: 6px; font-size: 0.9rem; }
nav.contents a { margin-right: 16px; color: var(--accent); text-decoration: none; font-weight: 600; }
nav.contents a:hover { text-decoration: underline; }
section.scenario { padding-top: 14px; }
section.scenario > h2 { font-size: 1.35rem; margin: 8px 0 2px; }
section.scenario > .span { margin: 0 0 12px; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; grid-auto-flow: row dense; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px 10px; background: #fff;
        min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card > h3 { font-size: 1rem; margin: 2px 2px 6px; }
.card > h3 .number { color: var(--muted); font-weight: 500; margin-right: 6px; }
.card .caption { margin: 6px 4px 0; color: var(--muted); font-size: 0.85rem; }
.card .note { margin: 6px 4px; color: var(--muted); font-style: italic; }
.subgrid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 14px; }
@media (max-width: 1000px) { .grid, .subgrid { grid-template-columns: minmax(0, 1fr); } }
.table-scroll { overflow-x: auto; }
table.summary { border-collapse: collapse; width: 100%; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
table.summary th, table.summary td { padding: 5px 8px; border-bottom: 1px solid #eceff2; text-align: right;
                                     white-space: nowrap; }
table.summary thead th { background: var(--soft); border-bottom: 2px solid var(--line); cursor: pointer;
                         user-select: none; vertical-align: bottom; white-space: normal; min-width: 5.2em; }
table.summary thead th:hover { background: #eaeef2; }
table.summary thead th[aria-sort="ascending"]::after { content: " ▲"; font-size: 0.7em; }
table.summary thead th[aria-sort="descending"]::after { content: " ▼"; font-size: 0.7em; }
table.summary th[scope="row"], table.summary thead th:first-child { text-align: left; font-weight: 600; }
table.summary td.best { font-weight: 700; }
table.summary .std { display: block; color: var(--muted); font-size: 0.8em; font-weight: 400; }
table.summary tr.seed-row th, table.summary tr.seed-row td { color: var(--muted); font-weight: 400;
                                                            font-size: 0.85rem; background: #fbfcfd; }
table.summary tr.seed-row th { padding-left: 30px; }
table.summary details.seeds { display: inline; }
table.summary details.seeds summary { cursor: pointer; }
table.summary.verdict thead th { cursor: auto; }
table.summary td.verdict-worse { color: #b42318; font-weight: 700; }
table.summary td.verdict-beats { color: #1a7f37; font-weight: 700; }
ul.verdicts { margin: 8px 4px 0; padding-left: 18px; font-size: 0.9rem; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; }
.conventions { font-size: 0.8rem; color: var(--muted); margin: 6px 4px 0; }
footer { max-width: 1280px; margin: 24px auto; padding: 10px 24px; color: var(--muted); font-size: 0.8rem;
         border-top: 1px solid var(--line); }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  html { font-size: 11px; }
  nav.contents, .modebar-container, .updatemenu-container { display: none !important; }
  main, header.report { max-width: none; padding: 0; }
  section.scenario { break-before: page; }
  .card { break-inside: avoid; border-color: #ccc; }
  table.summary tr.seed-row[hidden] { display: table-row; }
  dl.facts details.parameters ul { display: block; }
  table.summary thead th { cursor: auto; }
}
"""

REPORT_JS = """
(function () {
  "use strict";
  // Sortable summary tables: a click on a header sorts the strategy groups (a strategy
  // row with its seed rows) by that column; a second click reverses the order.
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      header.addEventListener("click", function () {
        var descending = header.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var numeric = header.dataset.sort === "number";
        var groups = Array.prototype.slice.call(table.tBodies);
        function key(group) {
          var raw = group.rows[0].cells[column].dataset.value || "";
          return numeric ? (raw === "" ? NaN : Number(raw)) : raw.toLowerCase();
        }
        groups.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (numeric) {
            if (isNaN(x)) return isNaN(y) ? 0 : 1;   // missing values last either way
            if (isNaN(y)) return -1;
            return descending ? y - x : x - y;
          }
          return descending ? y.localeCompare(x) : x.localeCompare(y);
        });
        groups.forEach(function (group) { table.appendChild(group); });
      });
    });
  });
  // Best and worst seed rows open and close with their strategy's <details>.
  document.querySelectorAll("table.summary details.seeds").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var group = details.closest("tbody");
      Array.prototype.forEach.call(group.querySelectorAll("tr.seed-row"), function (row) {
        row.hidden = !details.open;
      });
    });
  });
  // Figures follow the page width, also when printing.
  function resizeAll() {
    if (!window.Plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (plot) { Plotly.Plots.resize(plot); });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
"""
