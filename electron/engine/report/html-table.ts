// The one way the report builds a table. Cells are HTML the caller has already escaped.

export interface Column {
  label: string;
  /** Right-aligned with tabular figures, so digits line up down the column. */
  num?: boolean;
  /** Free text that should wrap in a readable width instead of a narrow column. */
  wide?: boolean;
}

export interface Row {
  cells: string[];
  /** A class for the <tr>, e.g. to mark a failed point. */
  className?: string;
}

export function htmlTable(columns: readonly Column[], rows: readonly (Row | string[])[], caption?: string): string {
  const cls = (c: Column | undefined) => (c?.num ? ' class="num"' : c?.wide ? ' class="wide"' : '');
  const head = columns.map((c) => `<th${cls(c)}>${c.label}</th>`).join('');
  const body = rows
    .map((r) => {
      const row = Array.isArray(r) ? { cells: r } : r;
      const tds = row.cells.map((cell, i) => `<td${cls(columns[i])}>${cell}</td>`).join('');
      return `<tr${row.className ? ` class="${row.className}"` : ''}>${tds}</tr>`;
    })
    .join('\n');
  const cap = caption ? `<caption>${caption}</caption>` : '';
  return `<div class="table-wrap"><table>${cap}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

/** A two-column label/value table (settings, environment). Labels and values are HTML. */
export function keyValueTable(rows: readonly [string, string][]): string {
  const body = rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n');
  return `<table class="kv"><tbody>\n${body}\n</tbody></table>`;
}
