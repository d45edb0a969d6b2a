// A backend decides how the server's I/O system calls are executed: untouched (baseline), or
// through libsaio with one of its backends. It changes how the server is launched and, for a
// backend that needs the machine prepared (saio-kmod loads a kernel module), what happens once
// before its first point of a run and once after the run.
import type { GuestHost } from '../hosts/qemu/guest';
import type { ExperimentCell } from '../common/notebook/schema';
import type { ServerLaunch } from '../servers/types';

export interface BackendContext {
  /** Writable directory of this point; a backend may leave files here (stats, logs). */
  pointDir: string;
  /** The experiment cell being run (backend settings such as `kmod` live there). */
  cell: ExperimentCell;
}

export interface BackendArtifact {
  kind: string;
  name: string;
  path: string;
}

/** What a backend's run-wide preparation needs from the runner. */
export interface BackendRunContext {
  /** The run's directory; a backend may create its own subdirectory there. */
  runDir: string;
  cell: ExperimentCell;
  signal?: AbortSignal;
  /** Tell the person watching what is happening (shown like a point's progress). */
  progress(label: string): void;
  /** The QEMU guest the server runs in (the preparation happens there), or absent: this machine. */
  guest?: GuestHost;
}

/** A run-level file or text a backend leaves when the run ends, stored with the run (no point). */
export interface BackendRunArtifact {
  kind: string;
  name: string;
  content: Buffer;
}

export interface BackendRunEnd {
  artifacts: BackendRunArtifact[];
  /** Something went wrong that makes the whole run untrustworthy (kernel trouble in the log). */
  problem: string | null;
}

export interface BackendRun {
  /**
   * null when this backend's points can run. Otherwise none of them starts: each is recorded
   * with this status and reason ('skipped': the host cannot do it; 'failed': it should have
   * worked and did not).
   */
  unusable: { status: 'skipped' | 'failed'; reason: string } | null;
  /** Undo the preparation; called exactly once when the run ends, however it ends. */
  end(): Promise<BackendRunEnd>;
  /** Optional: what the preparation's state says after each point (saio-kmod: the module's), kept with the point. */
  afterPoint?(): Promise<{ name: string; content: Buffer }>;
}

/** Where a backend's points would run: this machine, or a QEMU guest (whose kernel is checked in beginRun). */
export interface BackendPlace {
  guest: boolean;
}

export interface BackendModule {
  name: string;
  /** null when the backend can run there (default: this machine); otherwise what is missing and what to do about it. */
  unavailable(place?: BackendPlace): string | null;
  wrap(launch: ServerLaunch, ctx: BackendContext): ServerLaunch;
  /** Files the backend left for this point, to be stored as artifacts (missing ones are skipped). */
  artifacts(ctx: BackendContext): BackendArtifact[];
  /**
   * Optional run-wide preparation, called before the backend's first point of a run (only when
   * `unavailable()` is null). The kernel module step of saio-kmod lives here.
   */
  beginRun?(ctx: BackendRunContext): Promise<BackendRun>;
}
