// The report's stylesheet: readable on screen, and printable (no dark backgrounds, no cut tables).
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d1f23; --muted: #5f6670; --rule: #d9dce1; --head: #f3f4f6; --ok: #1a7f37; --bad: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.9rem; margin: 0 0 4px; }
h2 { font-size: 1.35rem; margin: 2.2em 0 0.6em; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin: 1.6em 0 0.5em; }
h4 { font-size: 1rem; margin: 1.4em 0 0.4em; }
p, ul { margin: 0.6em 0; }
a { color: #0b5cad; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
code { background: var(--head); padding: 0 3px; border-radius: 3px; }
pre { background: var(--head); padding: 10px 12px; border-radius: 4px; overflow-x: auto; }
pre code { background: none; padding: 0; }
.meta, .muted { color: var(--muted); }
.meta { margin: 0 0 1.5em; font-size: 0.9rem; }
.table-wrap { overflow-x: auto; margin: 0.8em 0 1.2em; }
table { border-collapse: collapse; font-size: 0.86rem; }
caption { text-align: left; font-weight: 600; padding: 4px 0; color: var(--muted); }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { background: var(--head); border-bottom: 2px solid var(--rule); white-space: nowrap; }
td code { white-space: nowrap; }
td.wide { min-width: 12em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { font-weight: 600; white-space: nowrap; background: none; width: 12em; }
table.kv pre { margin: 0; }
tr.status-failed td, tr.status-skipped td { background: #fdf1f1; }
.ok { color: var(--ok); font-weight: 700; }
.bad { color: var(--bad); font-weight: 700; }
.reason { color: var(--bad); }
.warn { color: #9a6700; }
tr.warned td { background: #fff8e1; }
tr.probe td { color: var(--muted); }
.plot-warned { color: #9a6700; }
.run-status.status-ok strong { color: var(--ok); }
.run-status.status-failed strong, .run-status.status-interrupted strong, .run-status.status-cancelled strong { color: var(--bad); }
.saio-plot { width: 100%; height: 420px; }
.verdict-faster { color: var(--ok); font-weight: 700; }
.verdict-slower { color: var(--bad); font-weight: 700; }
.noisy { color: var(--bad); font-weight: 700; }
.cell { margin-bottom: 1.5em; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; }
  .table-wrap { overflow: visible; }
  section.plot, .saio-plot, table.kv, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .appendix { break-before: page; }
}
`;
