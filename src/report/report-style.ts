/** The report's stylesheet, inlined into the document. */
export const reportCss = `
:root {
  --fg: #1c1c21; --muted: #62626b; --rule: #e2e2e7; --rule-strong: #2a2a30;
  --alt: #f6f6f9; --hi: #fff7e0; --accent: #0a5fb4;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--fg); background: #fbfbfc;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
main { max-width: 1280px; margin: 0 auto; padding: 28px 32px 72px; background: #fff; min-height: 100vh; }
h1 { font-size: 26px; line-height: 1.25; margin: 2px 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 21px; margin: 0 0 4px; letter-spacing: -0.005em; }
h2 .num { color: var(--muted); font-weight: 500; margin-right: 6px; }
h3 { font-size: 15px; margin: 28px 0 10px; text-transform: uppercase; letter-spacing: 0.04em; color: #3b3b44; }
h4 { font-size: 13px; margin: 0 0 6px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.kicker { margin: 0; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.08em; }
.meta { color: var(--muted); margin: 0 0 14px; }
.meta b { color: var(--fg); font-weight: 600; }
.mono, dl.settings dd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
dl.settings {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 0 28px;
  margin: 0 0 16px; padding: 10px 14px; background: var(--alt); border-radius: 6px; font-size: 13px;
}
dl.settings div { display: flex; justify-content: space-between; gap: 12px; padding: 3px 0; border-bottom: 1px dotted #d6d6dc; }
dl.settings dt { color: var(--muted); }
dl.settings dd { margin: 0; text-align: right; overflow-wrap: anywhere; }
.families { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 4px 0 10px; padding: 0; list-style: none; font-size: 13px; }
.families .spec { margin-left: 4px; }
nav.toc { font-size: 13px; margin: 6px 0 0; }
nav.toc ol { margin: 4px 0 0; padding-left: 22px; }
section.dataset { margin-top: 44px; padding-top: 18px; border-top: 2px solid var(--rule-strong); }
.data-line { color: var(--muted); margin: 0 0 8px; }
.target { display: inline-block; margin: 4px 0 0; padding: 6px 12px; background: #eef5fc; border-left: 3px solid var(--accent); border-radius: 0 4px 4px 0; }
ul.notes { margin: 10px 0 0; padding-left: 20px; color: var(--muted); font-size: 13px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; vertical-align: 0; }
.spec { color: var(--muted); font-size: 11.5px; font-weight: 400; }
.note { color: var(--muted); font-style: italic; }
.table-wrap { overflow-x: auto; margin: 0 0 4px; }
table.data { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; border-top: 1.5px solid var(--rule-strong); border-bottom: 1.5px solid var(--rule-strong); }
table.data th, table.data td { padding: 5px 11px; border-bottom: 1px solid var(--rule); vertical-align: top; }
table.data thead th { text-align: right; font-weight: 600; vertical-align: bottom; border-bottom: 1px solid var(--rule-strong); line-height: 1.3; }
table.data thead th[title] { cursor: help; text-decoration: underline dotted #aaa; text-underline-offset: 3px; }
table.data tbody th { font-weight: 500; text-align: left; white-space: nowrap; }
table.data tbody tr:last-child > * { border-bottom: none; }
table.data .left { text-align: left; }
td.num { text-align: right; white-space: nowrap; }
table.matched tbody tr:nth-child(even) { background: var(--alt); }
table.matched tr.extrapolated td { color: #7a5b00; }
table.matched tr.target-head th { background: #fff; padding-top: 12px; font-weight: 500; color: var(--muted); border-bottom: 1px solid var(--rule-strong); }
table.matched tr.target-head th b { color: var(--fg); }
sup.mark { color: #b35c00; font-weight: 700; margin-left: 3px; cursor: help; }
table.runs { font-size: 12.5px; }
table.runs th, table.runs td { padding: 4px 8px; }
table.runs tr.group-start > * { border-top: 1px solid #c9c9d0; }
table.runs tr.nearest td { background: var(--hi); }
table.data tbody tr:hover td { background: #eef4fb; }
.footnote { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.footnote sup { color: #b35c00; font-weight: 700; }
dl.measure-help { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 2px 28px; font-size: 12px; color: var(--muted); margin: 10px 0 0; }
dl.measure-help div { display: flex; gap: 8px; }
dl.measure-help dt { font-weight: 600; color: #3b3b44; white-space: nowrap; }
dl.measure-help dt::after { content: ":"; }
dl.measure-help dd { margin: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 18px; align-items: start; }
figure { margin: 0; padding: 14px 14px 10px; border: 1px solid var(--rule); border-radius: 8px; background: #fff; }
figure h4 { font-size: 13.5px; margin: 0 0 8px; }
figure h4 .fig { color: var(--muted); font-weight: 500; margin-right: 4px; }
figure svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
figure svg.chart text { font-family: inherit; }
figcaption { margin-top: 8px; font-size: 12.5px; line-height: 1.45; color: var(--muted); }
figure.note-only p { margin: 0; }
.small-multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 12px; align-items: start; }
.small-multiples figure { padding: 8px 8px 4px; }
.small-multiples figure h4 { font-size: 12.5px; margin: 0 0 4px; }
.target-key { color: var(--muted); }
details { margin: 12px 0 0; font-size: 13px; }
details summary { cursor: pointer; color: var(--accent); }
.concept-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 12px 20px; margin-top: 10px; }
.concept-card { padding: 8px 10px; border: 1px solid var(--rule); border-radius: 6px; }
table.concepts { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; }
table.concepts th { text-align: right; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--rule); padding: 2px 4px; }
table.concepts th.left { text-align: left; }
table.concepts td { padding: 1px 4px; }
table.concepts td.concept { overflow-wrap: anywhere; }
footer { margin-top: 56px; padding-top: 10px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 12px; }
@media print {
  body { background: #fff; }
  main { padding: 0; max-width: none; }
  figure, table { break-inside: avoid; }
  details { display: block; }
}
`;
