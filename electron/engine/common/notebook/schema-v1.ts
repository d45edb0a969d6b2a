// The notebook format as it was up to issue 11 (`saio-lab/notebook@1`: HTTP servers, wrk, a
// sweep of connections and workers). Frozen: revisions and bundles written then are still read,
// validated against exactly this, and upgraded to the current format (upgrade.ts).
import { z } from 'zod';

export const NOTEBOOK_FORMAT_V1 = 'saio-lab/notebook@1';

const cellId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cell id: lower-case letters, digits and "-", at most 63 characters');

const cpuList = z.array(z.number().int().min(0).max(4095)).min(1).max(4096);

// Servers, backends and drivers are registries (one module each); the format names them by
// string and `validate.ts` checks each name against its registry, so adding one touches no schema.
const registryName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a registered name');

const ServerSettings = z.strictObject({
  kind: registryName,
  /** Worker processes (nginx worker_processes); swept by `sweep.workers` when given there. */
  workers: z.number().int().min(1).max(256).default(1),
  /** Size in bytes of the one file every request fetches. */
  file_size: z
    .number()
    .int()
    .min(0)
    .max(1 << 30),
  keep_alive: z.boolean().default(true),
  /** Appended verbatim inside the server's http block (nginx) or its equivalent. */
  extra_config: z
    .string()
    .max(64 * 1024)
    .default(''),
});

const DriverSettings = z.strictObject({
  kind: registryName,
  threads: z.number().int().min(1).max(256).default(1),
  /** Per-request timeout; a slower response counts as an error. */
  timeout_s: z.number().int().min(1).max(600).default(5),
  /**
   * Which responses have their body compared with the file served. `warmup` checks every
   * response of the warm-up phase (same connections, same load) and leaves the measured phase
   * untouched; `all` also checks every measured response, at a cost in throughput.
   */
  verify: z.enum(['warmup', 'all']).default('warmup'),
});

const Sweep = z.strictObject({
  connections: z.array(z.number().int().min(1).max(100_000)).min(1).max(64),
  workers: z.array(z.number().int().min(1).max(256)).min(1).max(64).optional(),
});

const Pinning = z.strictObject({
  server: cpuList.optional(),
  driver: cpuList.optional(),
});

/** Module parameter names and values as insmod takes them; nothing a shell or the kernel could misread. */
const MODULE_PARAM_NAME = /^[a-z_]{1,64}$/;
const MODULE_PARAM_VALUE = /^[0-9A-Za-z_,.-]{1,256}$/;

const KMOD_CPUS = '"local", "local+K" (K up to 1024) or a list of at most 64 CPU numbers';

/**
 * The saio-kmod backend: how libsaio drives /dev/saio (SAIO_KMOD_* in its environment) and the
 * parameters saio.ko is loaded with. Optional: a cell without it gets these defaults.
 */
const KmodSettings = z.strictObject({
  /** enter: each server thread runs its own batch in one ioctl; worker: kernel workers drain the rings. */
  mode: z.enum(['enter', 'worker']).default('enter'),
  /** Kernel workers per server process (worker mode only). */
  workers: z.number().int().min(1).max(64).default(1),
  /** Rings of each process's context, one per event-loop thread (libsaio's default: 16). */
  rings: z.number().int().min(1).max(64).optional(),
  /**
   * Where kernel workers run (worker mode only): "local" next to the thread that submits to them
   * ("local+K" / "local-K": K CPUs further), or CPU numbers (worker i on cpus[i % n]). Absent: not pinned.
   */
  cpus: z.union([z.string().regex(/^local([+-](0|[1-9]\d{0,2}|10[01]\d|102[0-4]))?$/, KMOD_CPUS), cpuList.max(64)], { error: KMOD_CPUS }).optional(),
  /** How long a worker spins for work before it sleeps, in µs (worker mode only); absent: the module's default_idle_us. */
  idle_us: z.number().int().min(1).max(1_000_000).optional(),
  /** insmod parameters of saio.ko, such as {"default_idle_us": 200}. */
  module_params: z
    .record(
      z.string().regex(MODULE_PARAM_NAME, 'a module parameter name (1 to 64 of a-z and "_")'),
      z.union([z.string().regex(MODULE_PARAM_VALUE, 'a value of 1 to 256 of 0-9, A-Z, a-z, "_", ",", ".", "-"'), z.number().int().min(0)], {
        error: 'a whole number ≥ 0 or a string of 1 to 256 of 0-9, A-Z, a-z, "_", ",", ".", "-"',
      }),
    )
    .default({}),
});

// Whole seconds: wrk's -d takes an integer with a unit and nothing finer.
const Timing = z.strictObject({
  duration_s: z.number().int().min(1).max(3600),
  warmup_s: z.number().int().min(0).max(600),
});

const ExperimentCell = z.strictObject({
  id: cellId,
  type: z.literal('experiment'),
  title: z.string().max(200).optional(),
  server: ServerSettings,
  backends: z.array(registryName).min(1).max(8),
  driver: DriverSettings,
  sweep: Sweep,
  duration_s: Timing.shape.duration_s,
  warmup_s: Timing.shape.warmup_s,
  repeats: z.number().int().min(1).max(100),
  pinning: Pinning.default({}),
  /** Settings of the saio-kmod backend; absent: its defaults (enter mode, module defaults). */
  kmod: KmodSettings.optional(),
  /** Durations used by `replay --quick` (CI), instead of duration_s / warmup_s. */
  quick: Timing.optional(),
});

const MarkdownCell = z.strictObject({
  id: cellId,
  type: z.literal('markdown'),
  source: z.string().max(1 << 20),
});

const plotAxes = ['connections', 'workers', 'requests_per_s', 'latency_p50_us', 'latency_p99_us'] as const;

const PlotCell = z.strictObject({
  id: cellId,
  type: z.literal('plot'),
  title: z.string().max(200).optional(),
  /** The id of the experiment cell whose latest run is plotted. */
  experiment: cellId,
  x: z.enum(plotAxes),
  y: z.enum(plotAxes),
  /** One trace per value of this field. */
  series: z.enum(['backend', 'workers', 'connections']).default('backend'),
});

const Cell = z.discriminatedUnion('type', [MarkdownCell, ExperimentCell, PlotCell]);

export const NotebookV1 = z
  .strictObject({
    format: z.literal(NOTEBOOK_FORMAT_V1),
    title: z.string().min(1).max(200),
    cells: z.array(Cell).max(500),
  })
  .superRefine((nb, ctx) => {
    const seen = new Map<string, number>();
    nb.cells.forEach((cell, i) => {
      const first = seen.get(cell.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cells', i, 'id'],
          message: `a unique cell id (cells[${first}] already uses "${cell.id}")`,
        });
      }
      seen.set(cell.id, i);
    });
    nb.cells.forEach((cell, i) => {
      if (cell.type !== 'experiment') return;
      // wrk gives each thread floor(connections / threads) connections: a count that does not
      // divide would silently run fewer connections than the notebook says.
      cell.sweep.connections.forEach((c, j) => {
        if (c % cell.driver.threads !== 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['cells', i, 'sweep', 'connections', j],
            message: `a multiple of driver.threads (${cell.driver.threads}), found ${c}`,
          });
        }
      });
    });
    nb.cells.forEach((cell, i) => {
      const k = cell.type === 'experiment' ? cell.kmod : undefined;
      if (k?.mode === 'worker' && k.rings !== undefined && k.workers > k.rings) {
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'kmod', 'workers'], message: `at most kmod.rings (${k.rings}) workers: each kernel worker serves at least one ring, found ${k.workers}` });
      }
    });
    nb.cells.forEach((cell, i) => {
      if (cell.type !== 'experiment' || cell.kmod?.mode !== 'enter') return;
      // Enter mode has no kernel workers: settings for them would silently do nothing.
      const k = cell.kmod;
      if (k.workers !== 1) ctx.addIssue({ code: 'custom', path: ['cells', i, 'kmod', 'workers'], message: `1 in enter mode (kernel workers exist only with "mode": "worker"), found ${k.workers}` });
      if (k.cpus !== undefined)
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'kmod', 'cpus'], message: 'no cpus in enter mode (they place kernel workers, which exist only with "mode": "worker")' });
      if (k.idle_us !== undefined)
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'kmod', 'idle_us'], message: 'no idle_us in enter mode (it is the spin time of kernel workers, which exist only with "mode": "worker")' });
    });
    nb.cells.forEach((cell, i) => {
      if (cell.type !== 'plot') return;
      const target = nb.cells.find((c) => c.id === cell.experiment);
      if (!target || target.type !== 'experiment') {
        ctx.addIssue({
          code: 'custom',
          path: ['cells', i, 'experiment'],
          message: `the id of an experiment cell in this notebook (found "${cell.experiment}")`,
        });
      }
    });
  });

export type NotebookV1 = z.infer<typeof NotebookV1>;
export type ExperimentCellV1 = z.infer<typeof ExperimentCell>;
