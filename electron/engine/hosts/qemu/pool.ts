// The guests of one notebook run: a QEMU host of the notebook is booted by the first cell placed
// on it and kept up for the next cells (a boot under TCG costs 20-30 s), each cell a run of its
// own with its own connection and run directory in the guest (GuestHost.beginRun). A guest that
// died or whose kernel showed trouble is not handed out again: the next cell boots a fresh one.
// Closing the pool powers every guest off.
import type { QemuHostSpec } from '../../common/notebook/hosts';
import { GuestHost, type GuestOptions } from './guest';

export interface GuestRequest {
  name: string;
  spec: QemuHostSpec;
  runId: string;
  onProgress?: (line: string) => void;
  /** Tests: limits and a stand-in QEMU. */
  boot?: Partial<Pick<GuestOptions, 'bootTimeoutMs' | 'probeTimeoutMs' | 'qemu'>>;
}

/** Boots a guest for a request (one run's own guest, or the pool's first of its name). */
export function bootGuest(r: GuestRequest): Promise<GuestHost> {
  return GuestHost.boot({ name: r.name, runId: r.runId, cpus: r.spec.cpus, memory_mb: r.spec.memory_mb, kernel: r.spec.kernel, accel: r.spec.accel, onProgress: r.onProgress, ...r.boot });
}

export class GuestPool {
  private readonly guests = new Map<string, { key: string; guest: Promise<GuestHost>; ready?: GuestHost }>();

  /** The guest of this name once it is up (a watcher's view: tests, the live panel), or null. */
  current(name: string): GuestHost | null {
    return this.guests.get(name)?.ready ?? null;
  }

  /** The guest of this name, booted now or kept from an earlier cell, connected for `runId`. */
  async acquire(r: GuestRequest): Promise<{ guest: GuestHost; reused: boolean }> {
    const key = JSON.stringify(Object.entries(r.spec).sort(([a], [b]) => a.localeCompare(b)));
    const kept = this.guests.get(r.name);
    if (kept && kept.key === key) {
      const g = await kept.guest.catch(() => null);
      if (g && !g.dead && g.trouble.length === 0) {
        r.onProgress?.(`guest ${r.name} kept from the previous cell (${g.accel.accel}, kernel ${g.kernel.version})`);
        await g.beginRun(r.runId);
        return { guest: g, reused: true };
      }
    }
    if (kept) {
      this.guests.delete(r.name);
      await kept.guest.then((g) => g.close()).catch(() => undefined);
    }
    const guest = bootGuest(r);
    const entry: { key: string; guest: Promise<GuestHost>; ready?: GuestHost } = { key, guest };
    this.guests.set(r.name, entry);
    try {
      entry.ready = await guest;
      return { guest: entry.ready, reused: false };
    } catch (e) {
      this.guests.delete(r.name);
      throw e;
    }
  }

  /** Powers every guest off. */
  async close(): Promise<void> {
    const all = [...this.guests.values()];
    this.guests.clear();
    await Promise.all(all.map((k) => k.guest.then((g) => g.close()).catch(() => undefined)));
  }
}
