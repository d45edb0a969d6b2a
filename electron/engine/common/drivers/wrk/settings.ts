// wrk's settings in a notebook and wrk's own rules for a cell that uses it. Pure (zod only).
import { z } from 'zod';
import type { CellIssue, DriverCellView, DriverInfo } from '../catalog-types';

export const WrkSettings = z.strictObject({
  kind: z.literal('wrk'),
  threads: z.number().int().min(1).max(256).default(1),
  /** Per-request timeout; a slower response counts as an error. */
  timeout_s: z.number().int().min(1).max(600).default(5),
  /**
   * Which responses have their body compared with the file served. `warmup` checks every
   * response of the warm-up phase (same connections, same load) and leaves the measured phase
   * untouched; `all` also checks every measured response, at a cost in throughput (wrk checks
   * through a Lua hook, about 13%).
   */
  verify: z.enum(['warmup', 'all']).default('warmup'),
});
export type WrkSettings = z.infer<typeof WrkSettings>;

function rules(cell: DriverCellView): CellIssue[] {
  const issues: CellIssue[] = [];
  const threads = cell.driver.threads;
  // wrk gives each thread floor(connections / threads) connections: a count that does not
  // divide would silently run fewer connections than the notebook says.
  cell.sweep.connections.forEach((c, j) => {
    if (c % threads !== 0) issues.push({ path: ['sweep', 'connections', j], message: `a multiple of driver.threads (${threads}), found ${c}` });
  });
  // wrk's -d and --timeout take whole seconds ("1.5s" is a usage error).
  const whole = (v: number | undefined, path: (string | number)[]) => {
    if (v !== undefined && !Number.isInteger(v)) issues.push({ path, message: `whole seconds with driver wrk (its -d takes no fractions), found ${v}` });
  };
  whole(cell.duration_s, ['duration_s']);
  whole(cell.warmup_s, ['warmup_s']);
  whole(cell.quick?.duration_s, ['quick', 'duration_s']);
  whole(cell.quick?.warmup_s, ['quick', 'warmup_s']);
  return issues;
}

export const wrkInfo: DriverInfo = {
  kind: 'wrk',
  protocols: ['http'],
  openLoop: false,
  summary: 'wrk 4: closed loop, HTTP only; bodies checked in the warm-up (or every response with verify "all", ~13% slower)',
  rules,
};
