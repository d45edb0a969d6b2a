// A run whose lab process died (kill -9, power loss) stays "running" in the store. At the next
// start we find it: its owner is gone, so it becomes "interrupted" with the reason, and any server
// or load generator it left behind is stopped. What it had recorded stays.
import type { Store } from './store/store';
import { isSameProcess } from './runner/procfs';

export interface Recovered {
  run_id: string;
  points_recorded: number;
  processes_stopped: number;
}

export function recoverInterrupted(store: Store): Recovered[] {
  const out: Recovered[] = [];
  for (const run of store.runsInState('running')) {
    // Still driven by a live lab (another CLI, the desktop app): leave it alone.
    if (isSameProcess(run.owner_pid, run.owner_start)) continue;
    let stopped = 0;
    for (const p of store.openProcesses(run.id)) {
      if (isSameProcess(p.pid, p.start_ticks)) {
        try {
          process.kill(-p.pid, 'SIGKILL');
          stopped++;
        } catch {
          // exited between the check and the kill
        }
      }
      store.markProcessEnded(run.id, p.pid);
    }
    // Other hosts: each process there was started under a dead man's switch on the lab's ssh
    // channel, so it ended with the lab; the record says where they were.
    const remote = store.openProcessHosts(run.id);
    const recorded = store.listPoints(run.id).length;
    store.finishRun(
      run.id,
      'interrupted',
      `the lab process (pid ${run.owner_pid}) ended while this run was in flight; ` +
        `${recorded} of ${run.points_planned} points had been recorded` +
        (stopped > 0 ? `; ${stopped} process group(s) it left running were stopped` : '') +
        (remote.length > 0 ? `; its processes on ${remote.join(', ')} ended with its ssh connections (each ran under a dead man's switch on its channel)` : ''),
      new Date().toISOString(),
    );
    out.push({ run_id: run.id, points_recorded: recorded, processes_stopped: stopped });
  }
  return out;
}
