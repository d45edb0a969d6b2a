// Samples where every thread of the server and of the load generator runs, a few times a second,
// while the load runs. The sampler's own cost is measured and stored with each run (sampler.json).
import { existsSync } from 'node:fs';
import type { PlacementSample } from '../model';
import { processesInGroup, tasksOf, type TaskSample } from './procfs';

/** One thread's placement as the store keeps it, from its /proc stat and status (read here or on another host). */
export function placementSample(role: PlacementSample['role'], pid: number, t: Pick<TaskSample, 'tid' | 'stat' | 'status'>, t_ms: number): PlacementSample {
  return {
    point_id: null, // set when the point's record is written
    t_ms,
    role,
    pid,
    tid: t.tid,
    comm: t.stat.comm,
    cpu: t.stat.processor,
    allowed_cpus: t.status.allowedCpus,
    voluntary_ctxt: t.status.voluntary,
    nonvoluntary_ctxt: t.status.nonvoluntary,
    utime_ticks: t.stat.utime,
    stime_ticks: t.stat.stime,
  };
}

export interface SampledGroup {
  role: PlacementSample['role'];
  /** Process group id: the leader's pid, since every child is started detached. */
  pgrp: number;
}

export class PlacementSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: PlacementSample[] = [];
  private readonly groups: SampledGroup[] = [];
  private readonly members = new Map<number, { pids: number[]; at: number }>();
  private costNs = 0n;
  private rounds = 0;

  constructor(
    private readonly runStartedAt: number,
    readonly intervalMs = 250,
  ) {}

  add(group: SampledGroup): void {
    this.groups.push(group);
  }

  remove(pgrp: number): void {
    const i = this.groups.findIndex((g) => g.pgrp === pgrp);
    if (i >= 0) this.groups.splice(i, 1);
    this.members.delete(pgrp);
  }

  start(): void {
    if (this.timer) return;
    this.sampleOnce();
    this.timer = setInterval(() => this.sampleOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Members of a group. Finding them means reading every /proc/N/stat (milliseconds on this VM),
   * so the answer is kept for a second: a server forks its workers once, at start.
   */
  private membersOf(pgrp: number, now: number): number[] {
    const known = this.members.get(pgrp);
    if (known && now - known.at < 1000 && known.pids.every((pid) => existsSync(`/proc/${pid}`))) return known.pids;
    const pids = processesInGroup(pgrp);
    this.members.set(pgrp, { pids, at: now });
    return pids;
  }

  sampleOnce(): void {
    const t0 = process.hrtime.bigint();
    const now = Date.now();
    const t_ms = now - this.runStartedAt;
    for (const g of this.groups) {
      for (const pid of this.membersOf(g.pgrp, now)) {
        for (const t of tasksOf(pid)) {
          this.samples.push(placementSample(g.role, t.pid, t, t_ms));
        }
      }
    }
    this.costNs += process.hrtime.bigint() - t0;
    this.rounds++;
  }

  /** Samples gathered since the last drain. */
  drain(): PlacementSample[] {
    return this.samples.splice(0, this.samples.length);
  }

  get roundCount(): number {
    return this.rounds;
  }

  /** Mean wall time of one sampling round, in microseconds. */
  meanCostUs(): number {
    return this.rounds === 0 ? 0 : Number(this.costNs / BigInt(this.rounds)) / 1000;
  }
}
