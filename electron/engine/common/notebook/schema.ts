// The notebook format: one JSON document, ordered cells. This file is the single definition of
// that format; the TypeScript types below are inferred from it so the two cannot drift apart.
// Format 2 (issue 11): a cell's server speaks a protocol whose settings are in `protocol`; the
// driver's settings are its own (drivers/*/settings.ts, with the driver's rules); the sweep has
// named axes (connections, workers, rate). Format 1 is still read (schema-v1.ts, upgrade.ts).
import { z } from 'zod';
import { METRIC_NAMES, type Metric } from '../metrics';
import { DriverSettings as DriverSettingsSchema, driverInfo } from '../drivers/catalog';
import { ProtocolSettings as ProtocolSettingsSchema } from '../protocols/catalog';
import { serverInfo, serverKinds } from '../servers/catalog';
import { repeatPolicyErrors } from '../stats/repeats';
import { Hosts, Placement, placementIssues } from './hosts';

export const NOTEBOOK_FORMAT = 'saio-lab/notebook@2';

const cellId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cell id: lower-case letters, digits and "-", at most 63 characters');

const cpuList = z.array(z.number().int().min(0).max(4095)).min(1).max(4096);

// Backends are a registry (one module each); the format names them by string and `validate.ts`
// checks each name against it. Servers and drivers are checked here against their catalogs.
const registryName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a registered name');

export const ServerSettings = z.strictObject({
  kind: registryName,
  /**
   * What the server runs its work on (servers/catalog.ts says what for each: nginx
   * worker_processes, redis io-threads, memcached -t); swept by `sweep.workers` when given there.
   */
  workers: z.number().int().min(1).max(256).default(1),
  /**
   * Appended verbatim to the server's configuration: inside nginx's http block, to lighttpd's or
   * redis's config file; for memcached, extra command-line arguments (whitespace-separated).
   */
  extra_config: z
    .string()
    .max(64 * 1024)
    .default(''),
});

export const DriverSettings = DriverSettingsSchema;
export const ProtocolSettings = ProtocolSettingsSchema;

/** Fractions of a capacity measured by a short closed-loop probe at the start of the run. */
export const RateOfCapacity = z.strictObject({
  of_capacity: z.array(z.number().gt(0).max(2)).min(1).max(64),
  /** Length of each capacity probe (closed loop, same connections and workers); default 2 s. */
  probe_s: z.number().gt(0).max(600).optional(),
});

export const Sweep = z.strictObject({
  connections: z.array(z.number().int().min(1).max(100_000)).min(1).max(64),
  workers: z.array(z.number().int().min(1).max(256)).min(1).max(64).optional(),
  /**
   * Open loop at these rates (requests/s, all connections together), or at fractions of the
   * capacity measured first. Absent: closed loop.
   */
  rate: z.union([z.array(z.number().gt(0).max(100_000_000)).min(1).max(64), RateOfCapacity]).optional(),
});

export const Pinning = z.strictObject({
  server: cpuList.optional(),
  driver: cpuList.optional(),
});

/** Module parameter names and values as insmod takes them; nothing a shell or the kernel could misread. */
export const MODULE_PARAM_NAME = /^[a-z_]{1,64}$/;
export const MODULE_PARAM_VALUE = /^[0-9A-Za-z_,.-]{1,256}$/;

const KMOD_CPUS = '"local", "local+K" (K up to 1024) or a list of at most 64 CPU numbers';

/**
 * The saio-kmod backend: how libsaio drives /dev/saio (SAIO_KMOD_* in its environment) and the
 * parameters saio.ko is loaded with. Optional: a cell without it gets these defaults.
 */
export const KmodSettings = z.strictObject({
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

// Seconds, fractions allowed: a driver that needs whole seconds (wrk) says so in its rules.
const Timing = z.strictObject({
  duration_s: z.number().gt(0).max(3600),
  warmup_s: z.number().min(0).max(600),
});

/**
 * Repeats until the answer is clear (issue 12, stats/repeats.ts): every configuration gets `min`
 * repeats, then more rounds (backends still alternated) while the 95% interval of its median is
 * wider than ±target_ci, up to `max`. target_ci null or absent: a fixed count of `max`.
 */
export const RepeatPolicy = z.strictObject({
  min: z.number().int().min(1).max(100),
  max: z.number().int().min(1).max(100),
  target_ci: z.number().gt(0).lt(1).nullable().default(null),
});
/** A fixed count, or a policy. */
const Repeats = z.union([z.number().int().min(1).max(100), RepeatPolicy]);

/** What `replay --quick` (CI) uses instead of duration_s, warmup_s and (when given) repeats. */
const Quick = Timing.extend({ repeats: Repeats.optional() });

export const ExperimentCell = z.strictObject({
  id: cellId,
  type: z.literal('experiment'),
  title: z.string().max(200).optional(),
  server: ServerSettings,
  /** Settings of the protocol the server speaks (its kind must be that protocol). */
  protocol: ProtocolSettings,
  backends: z.array(registryName).min(1).max(8),
  driver: DriverSettings,
  sweep: Sweep,
  duration_s: Timing.shape.duration_s,
  warmup_s: Timing.shape.warmup_s,
  repeats: Repeats,
  /**
   * The backend every other backend is compared with (ratio, CI, verdict); default "baseline"
   * when the cell runs it, else the first backend.
   */
  reference: registryName.optional(),
  pinning: Pinning.default({}),
  /** Settings of the saio-kmod backend; absent: its defaults (enter mode, module defaults). */
  kmod: KmodSettings.optional(),
  /** Durations (and repeats) used by `replay --quick` (CI). */
  quick: Quick.optional(),
  /** Which of the notebook's hosts run the server and the load generator (notebook/hosts.ts). */
  ...Placement,
});

export const MarkdownCell = z.strictObject({
  id: cellId,
  type: z.literal('markdown'),
  source: z.string().max(1 << 20),
});

/** What a plot's x may be: a swept axis or a measured metric. */
export const plotX = ['connections', 'workers', 'rate', ...METRIC_NAMES] as const;
const metricName = z.enum(METRIC_NAMES as [Metric, ...Metric[]]);

export const PlotCell = z.strictObject({
  id: cellId,
  type: z.literal('plot'),
  title: z.string().max(200).optional(),
  /** The id of the experiment cell whose latest run is plotted. */
  experiment: cellId,
  x: z.enum(plotX),
  /** One metric, or several on one chart (p99 and p99.9 against achieved requests/s). */
  y: z.union([metricName, z.array(metricName).min(1).max(4)]),
  /** One trace per value of this field. */
  series: z.enum(['backend', 'workers', 'connections', 'rate']).default('backend'),
});

const oneOf = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * Server, protocol and driver must agree: the server speaks one protocol, `protocol` must be its
 * settings, the driver must speak it (and offer open loop for a rate sweep), and the driver's own
 * rules hold. Paths are relative to the cell.
 */
function pairingIssues(cell: z.infer<typeof ExperimentCell>): { path: (string | number)[]; message: string }[] {
  const server = serverInfo(cell.server.kind);
  if (!server) return [{ path: ['server', 'kind'], message: `one of ${oneOf(serverKinds)}, found "${cell.server.kind}"` }];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (cell.protocol.kind !== server.protocol) {
    issues.push({ path: ['protocol', 'kind'], message: `"${server.protocol}" (the protocol ${server.kind} speaks), found "${cell.protocol.kind}"` });
  }
  const driver = driverInfo(cell.driver.kind);
  if (driver && !driver.protocols.includes(server.protocol)) {
    issues.push({ path: ['driver', 'kind'], message: `a driver that speaks ${server.protocol} (as ${server.kind} does), found "${driver.kind}", which speaks ${driver.protocols.join(', ')} only` });
  }
  if (driver && !driver.openLoop && cell.sweep.rate !== undefined) {
    issues.push({ path: ['sweep', 'rate'], message: `no rate sweep with driver "${driver.kind}" (it is closed loop only; "saio-load" offers load at a fixed rate)` });
  }
  if (driver) issues.push(...driver.rules(cell));
  return issues;
}

export const Cell = z.discriminatedUnion('type', [MarkdownCell, ExperimentCell, PlotCell]);

export const Notebook = z
  .strictObject({
    format: z.literal(NOTEBOOK_FORMAT),
    title: z.string().min(1).max(200),
    /** Named hosts the cells place their processes on (notebook/hosts.ts); `local` is implied. */
    hosts: Hosts.optional(),
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
      for (const issue of pairingIssues(cell)) ctx.addIssue({ code: 'custom', path: ['cells', i, ...issue.path], message: issue.message });
    });
    nb.cells.forEach((cell, i) => {
      if (cell.type !== 'experiment') return;
      for (const issue of placementIssues(nb.hosts, cell)) ctx.addIssue({ code: 'custom', path: ['cells', i, ...issue.path], message: issue.message });
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
      if (cell.type !== 'experiment') return;
      if (cell.reference !== undefined && !cell.backends.includes(cell.reference)) {
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'reference'], message: `one of the cell's backends (${oneOf(cell.backends)}), found "${cell.reference}"` });
      }
      const policies: [(string | number)[], RepeatsSetting | undefined][] = [
        [['repeats'], cell.repeats],
        [['quick', 'repeats'], cell.quick?.repeats],
      ];
      for (const [path, r] of policies) {
        if (r === undefined || typeof r === 'number') continue;
        for (const sentence of repeatPolicyErrors(r)) {
          // The policy's sentences ("repeats.max must be …") read after this format's "expected".
          const field = /^repeats\.(min|max|target_ci)/.exec(sentence)?.[1];
          const never = /^repeats\.max = (\d+) can never reach target_ci: the median's 95% interval needs ≥ (\d+) repeats/.exec(sentence);
          const message = never
            ? `at least ${never[2]} with a target_ci (the median's 95% interval needs ≥ ${never[2]} repeats), found ${never[1]}`
            : sentence.replace(/^repeats\.(min|max|target_ci) (must be|is) /, '');
          ctx.addIssue({ code: 'custom', path: ['cells', i, ...path, ...(field ? [field] : [])], message });
        }
      }
    });
    nb.cells.forEach((cell, i) => {
      if (cell.type !== 'experiment' || cell.protocol.kind !== 'http' || cell.protocol.tls === undefined) return;
      // HTTPS is built for nginx and wrk (saio-load speaks plain HTTP so far).
      if (cell.server.kind !== 'nginx')
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'protocol', 'tls'], message: `no tls with server "${cell.server.kind}" (https is configured for nginx only), found "${cell.protocol.tls}"` });
      if (cell.driver.kind !== 'wrk')
        ctx.addIssue({ code: 'custom', path: ['cells', i, 'driver', 'kind'], message: `"wrk" for https (saio-load speaks plain HTTP only), found "${cell.driver.kind}"` });
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

export type Notebook = z.infer<typeof Notebook>;
export type Cell = z.infer<typeof Cell>;
export type ExperimentCell = z.infer<typeof ExperimentCell>;
export type PlotCell = z.infer<typeof PlotCell>;
export type MarkdownCell = z.infer<typeof MarkdownCell>;
export type ServerSettings = z.infer<typeof ServerSettings>;
export type DriverSettings = z.infer<typeof DriverSettings>;
export type ProtocolSettings = z.infer<typeof ProtocolSettings>;
export type SweepSettings = z.infer<typeof Sweep>;
export type KmodSettings = z.infer<typeof KmodSettings>;
export type RepeatsSetting = z.infer<typeof Repeats>;
