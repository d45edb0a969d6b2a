// Placement sampling on any Host: runner/sampler.ts's PlacementSampler reads this machine's /proc
// synchronously; this one asks a Host for every thread of its groups in one call per round
// (Host.sampleProcesses), so a remote server's or a guest's threads are sampled the same way. A
// round still in flight when the next is due is not doubled: the round is skipped and counted. A
// group that joins gets a round of its own at once, beside it.
import type { PlacementSample } from '../model';
import { placementSample } from '../runner/sampler';
import type { Host } from './types';

export interface HostPlacementSample extends PlacementSample {
  host: string;
}

export class HostPlacementSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: HostPlacementSample[] = [];
  private readonly groups: { role: PlacementSample['role']; pgrp: number }[] = [];
  private inFlight: Promise<void> | null = null;
  /** Rounds for groups that just joined (add), out beside the periodic one. */
  private readonly joining = new Set<Promise<void>>();
  private costMs = 0;
  private rounds = 0;
  /** Rounds skipped because the previous one had not come back (a slow link or guest). */
  skipped = 0;
  /** The last round's failure, if any (the run records it; sampling goes on). */
  lastError: string | null = null;

  constructor(
    readonly host: Host,
    private readonly runStartedAt: number,
    readonly intervalMs = 250,
  ) {}

  /**
   * A group joins; while sampling runs it gets a round of its own at once, beside any round in
   * flight: on a loaded machine (or over a slow link) a round trip can outlast a quick point's load
   * generator, which then had no sample at all when it waited for the next free tick.
   */
  add(group: { role: PlacementSample['role']; pgrp: number }): void {
    this.groups.push(group);
    if (!this.timer) return;
    const round = this.round([group]);
    this.joining.add(round);
    void round.finally(() => this.joining.delete(round));
  }

  remove(pgrp: number): void {
    const i = this.groups.findIndex((g) => g.pgrp === pgrp);
    if (i >= 0) this.groups.splice(i, 1);
  }

  start(): void {
    if (this.timer) return;
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the rounds in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.inFlight, ...this.joining]);
  }

  sampleOnce(): Promise<void> {
    if (this.inFlight) {
      this.skipped++;
      return this.inFlight;
    }
    this.inFlight = this.round([...this.groups]).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** One call to the host for every thread of `groups`; a failure is kept for the run's record. */
  private round(groups: { role: PlacementSample['role']; pgrp: number }[]): Promise<void> {
    const t0 = performance.now();
    const t_ms = Date.now() - this.runStartedAt;
    return this.host
      .sampleProcesses({ groups: groups.map((g) => g.pgrp) })
      .then((procs) => {
        for (const p of procs) {
          const role = groups.find((g) => g.pgrp === p.stat.pgrp)?.role;
          if (!role) continue;
          for (const t of p.tasks) {
            this.samples.push({ host: this.host.name, ...placementSample(role, p.pid, t, t_ms) });
          }
        }
        this.lastError = null;
      })
      .catch((e: unknown) => {
        this.lastError = (e as Error).message;
      })
      .finally(() => {
        this.costMs += performance.now() - t0;
        this.rounds++;
      });
  }

  drain(): HostPlacementSample[] {
    return this.samples.splice(0, this.samples.length);
  }

  get roundCount(): number {
    return this.rounds;
  }

  /** Mean wall time of one round (the round trip to the host included), in microseconds. */
  meanCostUs(): number {
    return this.rounds === 0 ? 0 : (this.costMs * 1000) / this.rounds;
  }
}
