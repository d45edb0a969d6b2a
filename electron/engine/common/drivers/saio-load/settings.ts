// saio-load's settings in a notebook and its rules for a cell. Pure (zod only).
import { z } from 'zod';
import type { CellIssue, DriverCellView, DriverInfo } from '../catalog-types';

export const SaioLoadSettings = z.strictObject({
  kind: z.literal('saio-load'),
  threads: z.number().int().min(1).max(256).default(1),
  /** Open loop: how send times are drawn (Poisson: exponential gaps, as independent users arrive). */
  arrivals: z.enum(['poisson', 'uniform']).default('poisson'),
  /** Open loop: requests allowed in flight on one connection (beyond it a send waits, and its lateness is measured). */
  depth: z.number().int().min(1).max(1024).default(4),
  /** Closed loop: requests sent back to back on a connection before waiting for their responses. */
  pipeline: z.number().int().min(1).max(1024).default(1),
  /** Requests still unanswered this long after the measured window count as timeouts. */
  timeout_s: z.number().gt(0).max(600).default(2),
});
export type SaioLoadSettings = z.infer<typeof SaioLoadSettings>;

function rules(cell: DriverCellView): CellIssue[] {
  const threads = cell.driver.threads;
  // Each generator thread drives its own connections: fewer connections than threads leaves
  // threads idle and the notebook would claim a thread count that did not run.
  const issues: CellIssue[] = cell.sweep.connections.flatMap((c, j) =>
    c < threads ? [{ path: ['sweep', 'connections', j], message: `at least driver.threads (${threads}) connections (each thread drives its own), found ${c}` }] : [],
  );
  // saio-load partitions the keys by connection (only a key's owner reads and writes it, so every
  // GET knows its value): each connection needs a key of its own.
  const p = cell.protocol;
  if (p.kind !== 'http') {
    const most = Math.max(...cell.sweep.connections);
    if (p.keys < most) issues.push({ path: ['protocol', 'keys'], message: `at least as many keys as connections (${most}: saio-load gives each connection keys of its own), found ${p.keys}` });
  }
  return issues;
}

export const saioLoadInfo: DriverInfo = {
  kind: 'saio-load',
  protocols: ['http', 'redis', 'memcached'],
  openLoop: true,
  summary: 'saio-load: closed or open loop (sweep.rate), HTTP, redis and memcached, every response checked',
  rules,
};
