// results.csv: one row per point (every repeat, and capacity probes as kind "probe"), for
// spreadsheets and quick scripts. `config` is the configuration key (common/axes.ts).
import type { PointRecord, RunRecord } from '../model';
import type { ReplayResults } from './types';

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
  'requests_per_s',
  'offered_per_s',
  'latency_p50_us',
  'latency_p90_us',
  'latency_p99_us',
  'latency_p999_us',
  'latency_max_us',
  'errors',
  'verified',
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
  return COLUMNS.map((c) => (c === 'run_id' ? run.id : c === 'cell_id' ? run.cell_id : c === 'warnings' ? p.warnings.join('; ') : p[c]));
}

/** The text of results.csv: header row, then one row per point; CRLF line ends as RFC 4180 has them. */
export function resultsCsv(results: ReplayResults): string {
  const lines = [COLUMNS.map(csvField).join(',')];
  for (const r of results.runs) {
    for (const p of r.points) lines.push(row(r.run, p).map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
