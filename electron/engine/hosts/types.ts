// The host layer: everything a run does to a machine — start a program in its own process group
// and stop the group, read and write files, read /proc, list CPUs, find a free port, describe the
// machine — behind one interface, so that a cell's server and load generators can run on this
// machine (LocalHost), on another over OpenSSH (SshHost), or in a QEMU guest (GuestHost, an
// SshHost whose machine the lab booted). Paths given to a Host are paths on that host; the
// stdout/stderr files of a spawned program are always local (they are the run's artifacts).
import type { EnvironmentSnapshot } from '../model';
import type { StartOptions } from '../runner/processes';
import type { TaskSample, TaskStat } from '../runner/procfs';

export type HostKind = 'local' | 'ssh' | 'qemu';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * What to start (runner/processes.ts's StartOptions): argv, env, cwd and cpus apply on the host;
 * stdoutPath and stderrPath are local files, the run's artifacts; `pty` is for LocalHost only
 * (other hosts use pipes); `role` is [a-z0-9-], 1 to 32 characters.
 */
export type SpawnOptions = StartOptions;

/** A program started on a host, leader of its own process group (pid = process-group id there). */
export interface HostProcess {
  readonly role: string;
  readonly argv: readonly string[];
  /** Pid on its host; also its process-group id there. */
  readonly pid: number;
  /** Its start time in clock ticks since the host's boot (field 22 of /proc/PID/stat). */
  readonly startTicks: string;
  readonly exited: Promise<ExitStatus>;
  readonly running: boolean;
  /** Its stdout so far (the first MiB). */
  readonly stdout: string;
  /** Signal the whole group. */
  signal(sig: NodeJS.Signals): Promise<void>;
  /** `sig` to the group, SIGKILL after `graceMs`; returns once no process of the group is left. */
  stop(sig: NodeJS.Signals, graceMs: number): Promise<ExitStatus & { forced: boolean }>;
}

export interface ExecOptions {
  /** The command (its whole process group) is killed after this long. */
  timeoutMs: number;
  env?: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
}

export interface ExecResult extends ExitStatus {
  stdout: string;
  stderr: string;
  /** Why it was killed, when it was (timeout, cancel). */
  killed: string | null;
}

/** One process and its threads, read from /proc/PID/stat, /proc/PID/task/TID/{stat,status}. */
export interface ProcessSample {
  pid: number;
  stat: TaskStat;
  tasks: TaskSample[];
}

/** What `environment()` runs to learn a tool's version. */
export interface ToolProbe {
  name: string;
  argv: readonly string[];
  parse: (output: string) => string;
}

/** The local snapshot's machine fields (runner/environment.ts), for any host. */
export interface HostEnvironment extends Pick<EnvironmentSnapshot, 'captured_at' | 'kernel' | 'kernel_cmdline' | 'os' | 'cpu_model' | 'cpus' | 'memory_bytes' | 'extra'> {
  host: string;
  kind: HostKind;
  /** How the lab reaches it: "local", "ssh://root@10.213.0.2", … */
  address: string;
  /** Tool name → version, or "missing" when the program is not there. */
  tools: Record<string, string>;
}

/** host clock − local clock, estimated from the round trip with the smallest delay. */
export interface ClockOffset {
  offset_ms: number;
  /** Half that round trip: the true offset is within ±this of offset_ms. */
  uncertainty_ms: number;
  samples: number;
}

/** How the host reaches an address: the route's interface and what is known of that link. */
export interface NetworkPath {
  to: string;
  interface: string;
  source: string | null;
  via: string | null;
  mtu: number | null;
  /** Link speed in Mb/s when the driver tells it (veth says 10000; many virtual links say nothing). */
  speed_mbps: number | null;
  /** veth, bridge, loopback, device, … */
  link_kind: string;
  operstate: string | null;
}

export interface CleanupReport {
  host: string;
  /** "PID ROLE" of each process group that was running and was stopped. */
  stopped: string[];
  /** Groups that would not die (should not happen: SIGKILL). */
  left: string[];
}

export interface Host {
  /** The notebook's name for it ("local", "srv", "gen1", …). */
  readonly name: string;
  readonly kind: HostKind;
  readonly address: string;
  /** Where this run keeps files on the host (created by open()). */
  readonly runDir: string;

  /** Connects (SSH: the run's ControlMaster) and creates runDir. Idempotent. */
  open(): Promise<void>;
  /** Stops what this run left running there, then disconnects. */
  close(): Promise<void>;

  spawn(o: SpawnOptions): Promise<HostProcess>;
  /** A short command, its output kept in memory; killed (whole group) after o.timeoutMs. */
  exec(argv: readonly string[], o: ExecOptions): Promise<ExecResult>;
  killGroup(pgid: number, sig: NodeJS.Signals): Promise<void>;
  /** Live (non-zombie) processes of a process group. */
  processesInGroup(pgid: number): Promise<number[]>;
  /** Every live process of these groups and these pids, with their threads, in one reading. */
  sampleProcesses(sel: { groups?: readonly number[]; pids?: readonly number[] }): Promise<ProcessSample[]>;
  /**
   * The socket inodes each of these processes holds open (its /proc/PID/fd links "socket:[N]"),
   * in one reading; a process that is gone or whose fds cannot be read is left out.
   */
  socketInodes(pids: readonly number[]): Promise<Map<number, number[]>>;

  /** Text files (e.g. under /proc) in one round trip; null for a file that cannot be read. */
  readTextFiles(paths: readonly string[]): Promise<(string | null)[]>;
  readFile(path: string): Promise<Buffer>;
  /** Written to a temporary name and renamed, so a reader never sees half a file. */
  writeFile(path: string, data: Buffer | string, o?: { mode?: number }): Promise<void>;
  /** Names in a directory (empty when it does not exist). */
  listDir(path: string): Promise<string[]>;
  mkdirp(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** sha256 of a file there, or null when it is not there. */
  sha256(path: string): Promise<string | null>;
  /** Absolute path of an executable found on the host's PATH (plus /usr/sbin, /sbin), or null. */
  which(program: string): Promise<string | null>;

  /** CPUs a process started there may run on. */
  allowedCpus(): Promise<number[]>;
  /** A TCP port nothing uses on that address of the host right now. */
  freePort(address: string): Promise<number>;
  environment(tools: readonly ToolProbe[]): Promise<HostEnvironment>;
  clockOffset(): Promise<ClockOffset>;
  networkPath(to: string): Promise<NetworkPath>;
  /** Stops every process group this run started on the host (also after the lab was killed). */
  cleanup(o?: { removeRunDir?: boolean }): Promise<CleanupReport>;
}

/** A failure of the host itself (unreachable, auth, gone), said in one line with what to do. */
export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly problem: 'unreachable' | 'auth' | 'host-key' | 'config' | 'gone' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

export const ROLE = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGSTOP'] as const;

export function checkSignal(sig: string): string {
  if (!(SIGNALS as readonly string[]).includes(sig)) throw new Error(`signal ${sig}: expected one of ${SIGNALS.join(', ')}`);
  return sig.slice(3);
}
