// The kernel module step of a run with saio-kmod points. Before the first such point: check the
// host, build saio.ko for the running kernel into the run's directory (never into the source
// tree), mark the kernel log, insmod it with the notebook's parameters and see /dev/saio appear.
// When the run ends: rmmod it and keep the kernel log lines written meanwhile; kernel trouble in
// them (Oops, BUG:, WARNING:, Call Trace, ...) fails the run with those lines quoted.
//
// The shell-level work is kmod/scripts/module-step.sh (POSIX sh; the QEMU guest runs the same
// script under busybox), called here with argv arrays. A saio that is already loaded is refused,
// not reused: the lab measures the module it built from this tree with the notebook's parameters,
// and a module of unknown build and parameters would make the numbers unexplainable.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendRun, BackendRunArtifact, BackendRunEnd } from '../backends/types';
import { MODULE_PARAM_NAME, MODULE_PARAM_VALUE } from '../common/notebook/schema';
import { forChildProcess, repoRoot } from '../paths';
import { cannotLoadModules, hostFacts, type HostFacts } from './host';

export function moduleStepScript(): string {
  return forChildProcess(join(repoRoot(), 'kmod', 'scripts', 'module-step.sh'));
}

/** The script's exit statuses (see its header). */
export const EXIT = { ok: 0, failed: 1, usage: 2, alreadyLoaded: 3, trouble: 4, noMark: 5 } as const;

export type ModuleParams = Record<string, string | number>;

/**
 * insmod's parameter arguments, `name=value` in name order. The notebook schema already checked
 * them; they are checked again here because they become a program's arguments.
 */
export function insmodParams(params: ModuleParams): string[] {
  return Object.keys(params)
    .sort()
    .map((name) => {
      const raw = params[name];
      const value = typeof raw === 'number' ? (Number.isInteger(raw) && raw >= 0 ? String(raw) : '') : String(raw);
      if (!MODULE_PARAM_NAME.test(name)) throw new Error(`module parameter name "${name}": expected 1 to 64 of a-z and "_"`);
      if (!MODULE_PARAM_VALUE.test(value)) throw new Error(`module parameter ${name}=${JSON.stringify(raw)}: expected a whole number ≥ 0 or 1 to 256 of 0-9, A-Z, a-z, "_", ",", ".", "-"`);
      return `${name}=${value}`;
    });
}

/** The argv of one subcommand of the script: always `sh SCRIPT SUB ARGS…`, never a shell string. */
export function stepArgv(script: string, sub: 'build' | 'loaded' | 'mark' | 'load' | 'unload' | 'dmesg-since', ...args: string[]): string[] {
  return ['sh', script, sub, ...args];
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One script call in its own process group, so a timeout or cancel also stops make and gcc. */
export function runStep(argv: readonly string[], o: { timeoutMs: number; signal?: AbortSignal }): Promise<StepResult> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    // insmod and rmmod live in /sbin on Debian, which a user's PATH may lack.
    const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' };
    const child = spawn(program, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedBecause = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = (why: string) => {
      killedBecause = why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${o.timeoutMs / 1000} s`), o.timeoutMs);
    const onAbort = () => kill('cancelled');
    o.signal?.addEventListener('abort', onAbort);
    const done = (code: number | null, error?: string) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const why = [error, killedBecause].filter(Boolean).join('; ');
      resolve({ code: killedBecause ? null : code, stdout, stderr: why ? `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}${why}\n` : stderr });
    };
    child.on('error', (e) => done(null, `${program}: ${e.message}`));
    child.on('close', (code) => done(code));
  });
}

/** The last meaningful lines of some output, on one line, for a reason. */
function tail(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^module-step: /, '').trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

/**
 * Where the module is loaded when it is not this machine (a QEMU guest): saio.ko is still built
 * here, against the headers of that kernel, then placed there; every other subcommand of the
 * script runs there.
 */
export interface ModuleHost {
  /** What the lab knows of that kernel; `headers` is the kbuild tree on this machine to build against. */
  facts(): Promise<HostFacts>;
  /** One script call there (never throws: a failure is a result with code null and why on stderr). */
  run(argv: readonly string[], timeoutMs: number): Promise<StepResult>;
  /** Copies the module built here to that host; returns its path there. */
  place(localKo: string): Promise<string>;
  /** Files there, as text (null: missing), for the module's state after each point. */
  readTextFiles(paths: readonly string[]): Promise<(string | null)[]>;
  listDir(path: string): Promise<string[]>;
}

export interface ModuleStepOptions {
  /** The run's directory: saio.ko is built in its `kmod-build/` (removed when the run ends). */
  runDir: string;
  params: ModuleParams;
  signal?: AbortSignal;
  progress?: (label: string) => void;
  /** Injected by tests; default: this host and kmod/scripts/module-step.sh. */
  facts?: HostFacts;
  script?: string;
  /** Per-call limits (ms). */
  timeouts?: Partial<{ build: number; load: number; unload: number; dmesg: number }>;
  /** Load it there (a QEMU guest) instead of on this machine. */
  on?: ModuleHost;
}

/** What the step did, stored with the run as kmod-step.json. */
export interface ModuleStepRecord {
  /** Where the module was loaded: "local" or the guest's name. */
  host: string;
  kernel: string;
  kdir: string | null;
  host_check: string | null;
  already_loaded: string | null;
  insmod_args: string[];
  build_dir: string | null;
  built: boolean;
  ko_sha256: string | null;
  kernel_log_mark: string | null;
  loaded: boolean;
  unloaded: boolean | null;
  kernel_log_lines: number | null;
  kernel_log_note: string | null;
  failure: string | null;
  problem: string | null;
}

/** This machine's files, read the way a ModuleHost reads its own. */
const localFiles = {
  readTextFiles: async (paths: readonly string[]) => paths.map((p) => (existsSync(p) ? readFileSync(p, 'utf8') : null)),
  listDir: async (path: string) => readdirSync(path),
};

function emptyRecord(host: string, facts: HostFacts): ModuleStepRecord {
  return { host, kernel: facts.kernel, kdir: null, host_check: null, already_loaded: null, insmod_args: [], build_dir: null, built: false, ko_sha256: null, kernel_log_mark: null, loaded: false, unloaded: null, kernel_log_lines: null, kernel_log_note: null, failure: null, problem: null };
}

const DEFAULT_TIMEOUTS = { build: 10 * 60_000, load: 60_000, unload: 60_000, dmesg: 30_000 };

export class ModuleStep implements BackendRun {
  unusable: BackendRun['unusable'] = null;
  private readonly artifacts: BackendRunArtifact[] = [];
  private ended: Promise<BackendRunEnd> | null = null;

  private constructor(
    private readonly o: ModuleStepOptions,
    private readonly script: string,
    private readonly record: ModuleStepRecord,
    private readonly timeouts: typeof DEFAULT_TIMEOUTS,
  ) {}

  /** Everything before the first point. Never throws: what went wrong ends up in `unusable`. */
  static async begin(o: ModuleStepOptions & { hostName?: string }): Promise<ModuleStep> {
    let facts: HostFacts;
    try {
      facts = o.facts ?? (o.on ? await o.on.facts() : hostFacts());
    } catch (e) {
      facts = { kernel: 'unknown', uid: -1, moduleSupport: false, modulesDisabled: false, lockdown: null, headers: null };
      const step = new ModuleStep(o, o.script ?? moduleStepScript(), emptyRecord(o.hostName ?? 'local', facts), { ...DEFAULT_TIMEOUTS, ...o.timeouts });
      step.fail(`the module step could not read the kernel's facts: ${(e as Error).message}`);
      return step;
    }
    const kdir = join('/lib/modules', facts.kernel, 'build');
    const record: ModuleStepRecord = {
      host: o.hostName ?? 'local',
      kernel: facts.kernel,
      kdir: facts.headers ?? null,
      host_check: null,
      already_loaded: null,
      insmod_args: [],
      build_dir: null,
      built: false,
      ko_sha256: null,
      kernel_log_mark: null,
      loaded: false,
      unloaded: null,
      kernel_log_lines: null,
      kernel_log_note: null,
      failure: null,
      problem: null,
    };
    const step = new ModuleStep(o, o.script ?? moduleStepScript(), record, { ...DEFAULT_TIMEOUTS, ...o.timeouts });
    try {
      await step.prepare(facts, facts.headers ?? kdir);
    } catch (e) {
      step.fail(`the module step failed: ${(e as Error).message}`);
    }
    return step;
  }

  private skip(reason: string): void {
    this.unusable = { status: 'skipped', reason };
  }

  private fail(reason: string): void {
    this.record.failure = reason;
    this.unusable = { status: 'failed', reason };
  }

  /** One subcommand where the module lives (build always runs here). */
  private call(sub: Parameters<typeof stepArgv>[1], args: string[], timeoutMs: number, o: { cancellable?: boolean } = {}): Promise<StepResult> {
    const argv = stepArgv(this.script, sub, ...args);
    if (this.o.on && sub !== 'build') return this.o.on.run(argv, timeoutMs);
    return runStep(argv, { timeoutMs, signal: o.cancellable === false ? undefined : this.o.signal });
  }

  private async prepare(facts: HostFacts, kdir: string): Promise<void> {
    const cannot = cannotLoadModules(facts);
    if (cannot) {
      this.record.host_check = cannot;
      this.skip(cannot);
      return;
    }
    let args: string[];
    try {
      args = insmodParams(this.o.params);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    this.record.insmod_args = args;

    const loaded = await this.call('loaded', [], this.timeouts.load);
    if (loaded.code === EXIT.ok) {
      this.record.already_loaded = loaded.stdout.trim();
      this.fail(
        `${loaded.stdout.trim()} before the run: the lab loads the saio.ko it builds from this tree with the notebook's ` +
          'parameters and does not reuse a module of unknown build and parameters; unload it (rmmod saio; a lab killed ' +
          'mid-run leaves it loaded) and run again',
      );
      return;
    }

    const out = join(this.o.runDir, 'kmod-build');
    rmSync(out, { recursive: true, force: true });
    this.record.build_dir = out;
    this.o.progress?.(`saio-kmod: building saio.ko for kernel ${facts.kernel} (once per run)`);
    const build = await this.call('build', [kdir, out], this.timeouts.build);
    this.artifacts.push({ kind: 'kmod-build-log', name: 'kmod-build.log', content: Buffer.from(`${build.stdout}${build.stderr}`) });
    const built = join(out, 'saio.ko');
    if (build.code !== EXIT.ok || !existsSync(built)) {
      this.fail(`building saio.ko against ${kdir} failed (kmod-build.log has it all): ${tail(`${build.stdout}\n${build.stderr}`, 4)}`);
      return;
    }
    this.record.built = true;
    this.record.ko_sha256 = createHash('sha256').update(readFileSync(built)).digest('hex');
    const ko = this.o.on ? await this.o.on.place(built) : built;

    const mark = await this.call('mark', [], this.timeouts.dmesg);
    if (mark.code !== EXIT.ok || mark.stdout.trim() === '') {
      this.fail(`could not mark the kernel log before loading saio.ko: ${tail(mark.stderr, 3)}`);
      return;
    }
    this.record.kernel_log_mark = mark.stdout.trim();

    this.o.progress?.(`saio-kmod: insmod saio.ko ${args.join(' ')}`.trimEnd());
    const load = await this.call('load', [ko, ...args], this.timeouts.load);
    if (load.code !== EXIT.ok) {
      const what = `insmod saio.ko${args.length ? ` ${args.join(' ')}` : ''}`;
      this.fail(`${what} failed: ${tail(load.stderr, 6)}`);
      return;
    }
    this.record.loaded = true;
  }

  /**
   * The module's state after a point, kept with the point (kmod-stats.json): /sys/module/saio
   * (its users, taint, size, parameters as the kernel holds them) and its /proc/modules line.
   * What the rings and kernel workers did is libsaio's part, in the point's saio-stats.json.
   */
  async afterPoint(): Promise<{ name: string; content: Buffer }> {
    const read = this.o.on ? this.o.on : localFiles;
    const base = '/sys/module/saio';
    const params = (await read.listDir(`${base}/parameters`).catch(() => [] as string[])).sort();
    const files = ['refcnt', 'taint', 'coresize', 'initstate', ...params.map((p) => `parameters/${p}`)];
    const [modules, ...values] = await read.readTextFiles(['/proc/modules', ...files.map((f) => `${base}/${f}`)]);
    const at = (f: string) => values[files.indexOf(f)]?.trim() ?? null;
    const state = {
      host: this.record.host,
      kernel: this.record.kernel,
      ko_sha256: this.record.ko_sha256,
      loaded: at('initstate') !== null,
      initstate: at('initstate'),
      refcnt: at('refcnt') === null ? null : Number(at('refcnt')),
      taint: at('taint'),
      coresize: at('coresize') === null ? null : Number(at('coresize')),
      parameters: Object.fromEntries(params.map((p) => [p, at(`parameters/${p}`)])),
      proc_modules: (modules ?? '').split('\n').find((l) => l.startsWith('saio ')) ?? null,
      read_at: new Date().toISOString(),
    };
    return { name: 'kmod-stats.json', content: Buffer.from(`${JSON.stringify(state, null, 2)}\n`) };
  }

  /** After the run, however it ended: unload, keep the kernel log, judge it. Runs once. */
  end(): Promise<BackendRunEnd> {
    this.ended ??= this.finish();
    return this.ended;
  }

  private async finish(): Promise<BackendRunEnd> {
    const problems: string[] = [];
    try {
      if (this.record.loaded) {
        // Not this.o.signal: a cancelled run still unloads what it loaded.
        const un = await this.call('unload', [], this.timeouts.unload, { cancellable: false });
        this.record.unloaded = un.code === EXIT.ok;
        if (un.code !== EXIT.ok) problems.push(`rmmod saio after the run failed, saio stays loaded (unload it by hand): ${tail(un.stderr, 3)}`);
      }
      const mark = this.record.kernel_log_mark;
      if (mark) {
        const log = await this.call('dmesg-since', [mark], this.timeouts.dmesg, { cancellable: false });
        const lines = log.stdout.split('\n').filter(Boolean);
        this.record.kernel_log_lines = lines.length;
        this.artifacts.push({ kind: 'dmesg', name: 'dmesg.txt', content: Buffer.from(log.stdout) });
        const said = log.stderr.split('\n').filter((l) => l.trim() !== '');
        const trouble = said.filter((l) => !l.startsWith('module-step: '));
        const notes = said.filter((l) => l.startsWith('module-step: ')).map((l) => l.slice('module-step: '.length));
        if (notes.length > 0) this.record.kernel_log_note = notes.join(' | ');
        if (log.code === EXIT.trouble) {
          const quoted = trouble.slice(0, 12).join(' | ');
          problems.push(`kernel trouble in the kernel log while saio was loaded (dmesg.txt has every line): ${quoted}${trouble.length > 12 ? ` | … ${trouble.length - 12} more` : ''}`);
        } else if (log.code !== EXIT.ok && log.code !== EXIT.noMark) {
          problems.push(`could not read the kernel log after the run: ${tail(log.stderr, 3)}`);
        }
      }
    } finally {
      if (this.record.build_dir) rmSync(this.record.build_dir, { recursive: true, force: true });
    }
    this.record.problem = problems.length > 0 ? problems.join('; ') : null;
    this.artifacts.push({ kind: 'kmod-step', name: 'kmod-step.json', content: Buffer.from(`${JSON.stringify(this.record, null, 2)}\n`) });
    return { artifacts: this.artifacts, problem: this.record.problem };
  }
}
