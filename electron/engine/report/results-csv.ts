// results.csv: one row per point (every repeat, and capacity probes as kind "probe"), for
// spreadsheets and quick scripts. `config` is the configuration key (common/axes.ts).
import { POINT_COLUMNS } from '../common/metrics';
import type { PointRecord, RunRecord } from '../model';
import type { ReplayResults } from '../common/results';

type CsvValue = string | number | boolean | null;

const COLUMNS = [
  'run_id',
  'cell_id',
  'seq',
  'kind',
  'backend',
  'server',
  'config',
  'connections',
  'workers',
  'rate_per_s',
  'rate_of_capacity',
  'repeat',
  'status',
  ...POINT_COLUMNS,
  'errors',
  'verified',
  'requests_per_cpu_s',
  'cpu_server_s',
  'cpu_loadgen_s',
  'warnings',
  'reason',
] as const;

export const CSV_COLUMNS: readonly string[] = COLUMNS;

/** One field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled; null empty. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every column but the first two is a field of the point under the same name (warnings joined by "; "). */
function row(run: RunRecord, p: PointRecord): CsvValue[] {
  return COLUMNS.map((c) => {
    switch (c) {
      case 'run_id':
        return run.id;
      case 'cell_id':
        return run.cell_id;
      case 'warnings':
        return p.warnings.join('; ');
      case 'cpu_server_s':
        return p.cpu?.server_s ?? null;
      case 'cpu_loadgen_s':
        return p.cpu?.loadgen_s ?? null;
      default:
        return p[c];
    }
  });
}

function csv(header: readonly string[], rows: readonly CsvValue[][]): string {
  return `${[header.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\r\n')}\r\n`;
}

export const SUMMARY_COLUMNS = [
  'run_id',
  'cell_id',
  'backend',
  'config',
  'metric',
  'n',
  'median',
  'ci_low',
  'ci_high',
  'ci_method',
  'ci_coverage',
  'min',
  'max',
  'cv',
  'merged',
  'repeats_reason',
  'samples',
] as const;

/** summaries.csv: one row per run, backend, configuration and metric; each column is the summary's field of that name, but the repeat policy's reason and the samples (joined by ";"). */
export function summariesCsv(results: ReplayResults): string {
  return csv(
    SUMMARY_COLUMNS,
    results.summaries.map((s) =>
      SUMMARY_COLUMNS.map((c) => {
        if (c === 'repeats_reason') return s.repeats?.reason ?? null;
        if (c === 'samples') return s.samples.map((v) => (v === null ? '' : String(v))).join(';');
        return s[c];
      }),
    ),
  );
}

export const COMPARISON_COLUMNS = [
  'run_id',
  'cell_id',
  'config',
  'backend',
  'reference',
  'metric',
  'ratio',
  'ci_low',
  'ci_high',
  'p_value',
  'verdict',
  'test',
  'n_reference',
  'n_candidate',
  'aa',
  'noise',
  'reason',
] as const;

/** comparisons.csv: one row per run, configuration, backend and metric against the reference backend; each column is the comparison's field of that name. */
export function comparisonsCsv(results: ReplayResults): string {
  return csv(
    COMPARISON_COLUMNS,
    results.comparisons.map((c) => COMPARISON_COLUMNS.map((k) => c[k])),
  );
}

/** The text of results.csv: header row, then one row per point; CRLF line ends as RFC 4180 has them. */
export function resultsCsv(results: ReplayResults): string {
  const lines = [COLUMNS.map(csvField).join(',')];
  for (const r of results.runs) {
    for (const p of r.points) lines.push(row(r.run, p).map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
