// results.csv: one row per point (every repeat), for spreadsheets and quick scripts.
import type { PointRecord, RunRecord } from '../model';
import type { ReplayResults } from './types';

type CsvValue = string | number | boolean | null;

const COLUMNS = [
  'run_id',
  'cell_id',
  'seq',
  'backend',
  'server',
  'connections',
  'workers',
  'repeat',
  'status',
  'requests_per_s',
  'latency_p50_us',
  'latency_p90_us',
  'latency_p99_us',
  'latency_p999_us',
  'latency_max_us',
  'errors',
  'verified',
  'reason',
] as const;

export const CSV_COLUMNS: readonly string[] = COLUMNS;

/** One field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled; null empty. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(run: RunRecord, p: PointRecord): CsvValue[] {
  const values: Record<(typeof COLUMNS)[number], CsvValue> = {
    run_id: run.id,
    cell_id: run.cell_id,
    seq: p.seq,
    backend: p.backend,
    server: p.server,
    connections: p.connections,
    workers: p.workers,
    repeat: p.repeat,
    status: p.status,
    requests_per_s: p.requests_per_s,
    latency_p50_us: p.latency_p50_us,
    latency_p90_us: p.latency_p90_us,
    latency_p99_us: p.latency_p99_us,
    latency_p999_us: p.latency_p999_us,
    latency_max_us: p.latency_max_us,
    errors: p.errors,
    verified: p.verified,
    reason: p.reason,
  };
  return COLUMNS.map((c) => values[c]);
}

/** The text of results.csv: header row, then one row per point; CRLF line ends as RFC 4180 has them. */
export function resultsCsv(results: ReplayResults): string {
  const lines = [COLUMNS.map(csvField).join(',')];
  for (const r of results.runs) {
    for (const p of r.points) lines.push(row(r.run, p).map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
