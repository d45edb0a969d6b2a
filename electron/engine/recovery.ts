// A run whose lab process died (kill -9, power loss) stays "running" in the store. At the next
// start we find it: its owner is gone, so it becomes "interrupted" with the reason, and any server
// or load generator it left behind is stopped. What it had recorded stays. On other hosts
// (issue 15), recoverRemote then connects to each host the run used, stops any process group the
// run left there and removes the run's directory, bounded in time, one line per host it cannot reach.
import { SshHost } from './hosts/ssh';
import type { CleanupReport } from './hosts/types';
import { loadRevision } from './notebooks';
import { LOCAL_HOST, qemuSpecOf, sshSpecOf } from './common/notebook/hosts';
import type { Store } from './store/store';
import { isSameProcess } from './runner/procfs';

/** A host an interrupted run used, as its notebook revision names it. */
export interface RemoteHostOfRun {
  name: string;
  destination: string;
  ssh_config?: string;
}

export interface Recovered {
  run_id: string;
  points_recorded: number;
  processes_stopped: number;
  /** Other hosts the run used: recoverRemote cleans up there. */
  remote_hosts: RemoteHostOfRun[];
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
    const remoteHosts = remoteHostsOf(store, run.id, run.revision_id, run.cell_id, remote);
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
    out.push({ run_id: run.id, points_recorded: recorded, processes_stopped: stopped, remote_hosts: remoteHosts });
  }
  return out;
}

/**
 * The other hosts a run may have left something on: those its cell placed a role on, those it
 * recorded, those with processes not seen to end; each as the run's notebook revision names it.
 */
function remoteHostsOf(store: Store, runId: string, revisionId: string, cellId: string, open: readonly string[]): RemoteHostOfRun[] {
  let notebook;
  try {
    notebook = loadRevision(store, revisionId);
  } catch {
    return [];
  }
  const cell = notebook.cells.find((c) => c.id === cellId);
  const placed = cell?.type === 'experiment' ? [cell.server_host ?? LOCAL_HOST, ...(cell.driver_hosts ?? [])] : [];
  const names = new Set([...placed, ...store.listRunHosts(runId).map((h) => h.name), ...open]);
  names.delete(LOCAL_HOST);
  return [...names].flatMap((name) => {
    const spec = notebook.hosts?.[name];
    // A guest keeps its run directories in its own memory: there is nothing to remove over ssh.
    if (!spec || qemuSpecOf(spec)) return [];
    const s = sshSpecOf(spec);
    return [{ name, destination: s.ssh, ...(s.ssh_config ? { ssh_config: s.ssh_config } : {}) }];
  });
}

export interface RemoteRecovery {
  run_id: string;
  host: string;
  ok: boolean;
  /** Process groups stopped there ("PID ROLE"). */
  stopped: string[];
  /** One line: what was done there, or why nothing could be. */
  line: string;
}

/**
 * For each run recovered, on each other host it used: stop what it left there and remove its
 * directory (SshHost.cleanupRun), every host at once, each bounded by `timeoutMs`; one line per
 * host, kept with the run as its remote-recovery.txt artifact. A host that cannot be reached is said plainly, with what to do.
 */
export async function recoverRemote(
  store: Store,
  recovered: readonly Recovered[],
  o: { timeoutMs?: number; connectTimeoutS?: number; cleanupRun?: (h: RemoteHostOfRun, runId: string) => Promise<CleanupReport> } = {},
): Promise<RemoteRecovery[]> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const clean =
    o.cleanupRun ??
    ((h: RemoteHostOfRun, runId: string) => SshHost.cleanupRun({ name: h.name, destination: h.destination, configFile: h.ssh_config, runId, connectTimeoutS: o.connectTimeoutS ?? 10 }));
  const jobs = recovered.flatMap((r) => r.remote_hosts.map((h) => ({ r, h })));
  const done = await Promise.all(
    jobs.map(async ({ r, h }): Promise<RemoteRecovery> => {
      const where = `${h.name} (${h.destination})`;
      let timer: NodeJS.Timeout | undefined;
      try {
        const report = await Promise.race([
          clean(h, r.run_id),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
          }),
        ]);
        const left = report.left.length > 0 ? `; ${report.left.length} group(s) would not stop: ${report.left.join(', ')}` : '';
        return {
          run_id: r.run_id,
          host: h.name,
          ok: report.left.length === 0,
          stopped: report.stopped,
          line: `${where}: ${report.stopped.length > 0 ? `stopped ${report.stopped.length} process group(s) the run left (${report.stopped.join(', ')})` : 'nothing of the run was still running'}; its directory there was removed${left}`,
        };
      } catch (e) {
        const why = ((e as Error).message ?? String(e)).split('\n')[0];
        return {
          run_id: r.run_id,
          host: h.name,
          ok: false,
          stopped: [],
          line: `${where}: could not clean up: ${why} — its processes ended with the lab's ssh connection unless that host kept it; when it is back, remove ~/.cache/saio-lab/runs/${r.run_id}.${h.name} there`,
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  // A finished run is immutable: what recovery did on other hosts is kept beside it, as an artifact.
  for (const r of recovered) {
    const mine = done.filter((d) => d.run_id === r.run_id);
    if (mine.length === 0) continue;
    store.insertArtifact({ run_id: r.run_id, point_id: null, kind: 'remote-recovery', name: 'remote-recovery.txt' }, Buffer.from(`${mine.map((d) => d.line).join('\n')}\n`));
    // Processes on a host cleaned up are known to have ended.
    for (const p of store.listProcesses(r.run_id)) if (!p.ended && mine.some((d) => d.ok && d.host === p.host)) store.markProcessEnded(r.run_id, p.pid, p.host);
  }
  return done;
}
