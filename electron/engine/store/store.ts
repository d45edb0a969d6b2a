// The lab's store: every SQL statement of the project lives in this folder. Callers get typed
// records; nothing outside sees a row, a statement or a column name.
import { POINT_COLUMNS } from '../common/metrics';
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ArtifactRecord, EnvironmentSnapshot, NotebookRecord, PlacementSample, PointRecord, RevisionRecord, RunHostRecord, RunRecord, RunStatus } from '../model';
import { migrate } from './migrations';

/** A point's columns as insertPoint writes them (its metrics from common/metrics.ts). */
const POINT_INSERT_COLUMNS = [
  ...['run_id', 'seq', 'kind', 'backend', 'server', 'config', 'connections', 'workers', 'rate_per_s', 'rate_of_capacity', 'repeat', 'status', 'reason'],
  ...POINT_COLUMNS,
  ...['errors', 'verified', 'verification', 'load', 'warnings', 'cpu', 'requests_per_cpu_s', 'started_at', 'ended_at'],
];

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * A revision's id: its notebook, parent, content, message and time, hashed (like a git commit).
 * The notebook is part of it so that two notebooks saved alike in the same millisecond differ.
 */
export function revisionId(r: Omit<RevisionRecord, 'id'>): string {
  return sha256(JSON.stringify([r.notebook_id, r.parent_id, r.content_sha256, r.message, r.created_at]));
}

export type NewPoint = Omit<PointRecord, 'id'>;
export type NewRun = Omit<RunRecord, 'status' | 'reason' | 'ended_at'>;

interface PointRow extends Omit<PointRecord, 'verified' | 'verification' | 'load' | 'warnings' | 'cpu'> {
  cpu: string | null;
  verified: number;
  verification: string | null;
  load: string | null;
  warnings: string;
}
interface RunRow extends Omit<RunRecord, 'quick'> {
  quick: number;
}

const toPoint = (r: PointRow): PointRecord => ({
  ...r,
  verified: r.verified === 1,
  verification: r.verification === null ? null : JSON.parse(r.verification),
  load: r.load === null ? null : JSON.parse(r.load),
  warnings: JSON.parse(r.warnings) as string[],
  cpu: r.cpu === null ? null : JSON.parse(r.cpu),
});
const toRun = (r: RunRow): RunRecord => ({ ...r, quick: r.quick === 1 });

export class Store {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    // WAL: readers (the UI, `show`) never block the runner, and each committed point survives a
    // kill -9 of the lab. NORMAL sync is durable across process death, which is what we need.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- notebooks and revisions ------------------------------------------------------------

  listNotebooks(): NotebookRecord[] {
    return this.db.prepare('SELECT * FROM notebooks ORDER BY name').all() as NotebookRecord[];
  }

  /** By id, by unique id prefix (at least 6 characters) or by name. */
  findNotebook(ref: string): NotebookRecord | undefined {
    const byId = this.db.prepare('SELECT * FROM notebooks WHERE id = ? OR name = ?').get(ref, ref);
    if (byId) return byId as NotebookRecord;
    if (ref.length < 6) return undefined;
    const rows = this.db.prepare("SELECT * FROM notebooks WHERE id LIKE ? || '%'").all(ref) as NotebookRecord[];
    return rows.length === 1 ? rows[0] : undefined;
  }

  getNotebook(id: string): NotebookRecord | undefined {
    return this.db.prepare('SELECT * FROM notebooks WHERE id = ?').get(id) as NotebookRecord | undefined;
  }

  insertNotebook(nb: NotebookRecord): void {
    this.db.prepare('INSERT INTO notebooks (id, name, created_at, head_revision_id) VALUES (?, ?, ?, ?)').run(nb.id, nb.name, nb.created_at, nb.head_revision_id);
  }

  newNotebookId(): string {
    return randomUUID();
  }

  setHead(notebookId: string, revisionId: string): void {
    this.db.prepare('UPDATE notebooks SET head_revision_id = ? WHERE id = ?').run(revisionId, notebookId);
  }

  insertRevision(rev: RevisionRecord, content: string): void {
    this.db
      .prepare(
        `INSERT INTO revisions (id, notebook_id, parent_id, content, content_sha256, message, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(rev.id, rev.notebook_id, rev.parent_id, content, rev.content_sha256, rev.message, rev.created_at);
  }

  /** Newest first. */
  listRevisions(notebookId: string): RevisionRecord[] {
    return this.db
      .prepare(
        `SELECT id, notebook_id, parent_id, content_sha256, message, created_at FROM revisions
         WHERE notebook_id = ? ORDER BY created_at DESC, rowid DESC`,
      )
      .all(notebookId) as RevisionRecord[];
  }

  getRevision(id: string): RevisionRecord | undefined {
    return this.db.prepare('SELECT id, notebook_id, parent_id, content_sha256, message, created_at FROM revisions WHERE id = ?').get(id) as RevisionRecord | undefined;
  }

  /** A revision of this notebook by full id or unique prefix (at least 4 characters). */
  findRevision(notebookId: string, ref: string): RevisionRecord | undefined {
    if (ref.length < 4) return undefined;
    const rows = this.db
      .prepare(
        `SELECT id, notebook_id, parent_id, content_sha256, message, created_at FROM revisions
         WHERE notebook_id = ? AND id LIKE ? || '%'`,
      )
      .all(notebookId, ref) as RevisionRecord[];
    return rows.length === 1 ? rows[0] : undefined;
  }

  revisionContent(id: string): string | undefined {
    const row = this.db.prepare('SELECT content FROM revisions WHERE id = ?').get(id) as { content: string } | undefined;
    return row?.content;
  }

  // ---- runs ---------------------------------------------------------------------------------

  insertRun(run: NewRun): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, notebook_id, revision_id, cell_id, status, reason, quick, started_at,
           ended_at, owner_pid, owner_start, points_planned, run_dir)
         VALUES (@id, @notebook_id, @revision_id, @cell_id, 'running', NULL, @quick, @started_at,
           NULL, @owner_pid, @owner_start, @points_planned, @run_dir)`,
      )
      .run({ ...run, quick: run.quick ? 1 : 0 });
  }

  /** Import path: a run exactly as recorded elsewhere, already finished. */
  insertFinishedRun(run: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, notebook_id, revision_id, cell_id, status, reason, quick, started_at,
           ended_at, owner_pid, owner_start, points_planned, run_dir)
         VALUES (@id, @notebook_id, @revision_id, @cell_id, @status, @reason, @quick, @started_at,
           @ended_at, @owner_pid, @owner_start, @points_planned, @run_dir)`,
      )
      .run({ ...run, quick: run.quick ? 1 : 0 });
  }

  finishRun(id: string, status: Exclude<RunStatus, 'running'>, reason: string | null, endedAt: string): void {
    this.db.prepare(`UPDATE runs SET status = ?, reason = ?, ended_at = ? WHERE id = ? AND status = 'running'`).run(status, reason, endedAt, id);
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  findRun(ref: string): RunRecord | undefined {
    if (ref.length < 4) return undefined;
    const rows = this.db.prepare("SELECT * FROM runs WHERE id LIKE ? || '%'").all(ref) as RunRow[];
    return rows.length === 1 && rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Oldest first. */
  listRuns(notebookId: string): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE notebook_id = ? ORDER BY started_at, rowid').all(notebookId) as RunRow[]).map(toRun);
  }

  runsInState(status: RunStatus): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE status = ?').all(status) as RunRow[]).map(toRun);
  }

  // ---- what a run records -------------------------------------------------------------------

  insertPoint(p: NewPoint): number {
    const info = this.db
      .prepare(
        `INSERT INTO points (${POINT_INSERT_COLUMNS.join(', ')})
         VALUES (${POINT_INSERT_COLUMNS.map((c) => `@${c}`).join(', ')})`,
      )
      .run({
        ...p,
        verified: p.verified ? 1 : 0,
        verification: p.verification === null ? null : JSON.stringify(p.verification),
        load: p.load === null ? null : JSON.stringify(p.load),
        warnings: JSON.stringify(p.warnings),
        cpu: p.cpu === null ? null : JSON.stringify(p.cpu),
      });
    return Number(info.lastInsertRowid);
  }

  listPoints(runId: string): PointRecord[] {
    return (this.db.prepare('SELECT * FROM points WHERE run_id = ? ORDER BY seq').all(runId) as PointRow[]).map(toPoint);
  }

  /** One point of a run by its seq (the point a progress event names). */
  getPoint(runId: string, seq: number): PointRecord | undefined {
    const row = this.db.prepare('SELECT * FROM points WHERE run_id = ? AND seq = ? ORDER BY id DESC LIMIT 1').get(runId, seq) as PointRow | undefined;
    return row ? toPoint(row) : undefined;
  }

  insertArtifact(a: Omit<ArtifactRecord, 'id' | 'sha256' | 'size'>, content: Buffer): number {
    const info = this.db
      .prepare(
        `INSERT INTO artifacts (run_id, point_id, kind, name, sha256, size, content)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.run_id, a.point_id, a.kind, a.name, sha256(content), content.length, content);
    return Number(info.lastInsertRowid);
  }

  listArtifacts(runId: string): ArtifactRecord[] {
    return this.db.prepare('SELECT id, run_id, point_id, kind, name, sha256, size FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as ArtifactRecord[];
  }

  getArtifact(id: number): ArtifactRecord | undefined {
    return this.db.prepare('SELECT id, run_id, point_id, kind, name, sha256, size FROM artifacts WHERE id = ?').get(id) as ArtifactRecord | undefined;
  }

  artifactContent(id: number): Buffer | undefined {
    const row = this.db.prepare('SELECT content FROM artifacts WHERE id = ?').get(id) as { content: Buffer } | undefined;
    return row?.content;
  }

  putEnvironment(runId: string, env: EnvironmentSnapshot): void {
    this.db.prepare('INSERT INTO environments (run_id, snapshot) VALUES (?, ?)').run(runId, JSON.stringify(env));
  }

  getEnvironment(runId: string): EnvironmentSnapshot | undefined {
    const row = this.db.prepare('SELECT snapshot FROM environments WHERE run_id = ?').get(runId) as { snapshot: string } | undefined;
    return row && (JSON.parse(row.snapshot) as EnvironmentSnapshot);
  }

  insertPlacement(runId: string, samples: readonly PlacementSample[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO placement_samples (run_id, host, point_id, t_ms, role, pid, tid, comm, cpu, allowed_cpus,
         voluntary_ctxt, nonvoluntary_ctxt, utime_ticks, stime_ticks)
       VALUES (@run_id, @host, @point_id, @t_ms, @role, @pid, @tid, @comm, @cpu, @allowed_cpus,
         @voluntary_ctxt, @nonvoluntary_ctxt, @utime_ticks, @stime_ticks)`,
    );
    this.transaction(() => {
      for (const s of samples) stmt.run({ ...s, host: s.host ?? 'local', run_id: runId });
    });
  }

  /** A run's placement samples, or only those taken during one of its points. */
  listPlacement(runId: string, pointId?: number): PlacementSample[] {
    const rows = this.db
      .prepare(
        `SELECT host, point_id, t_ms, role, pid, tid, comm, cpu, allowed_cpus, voluntary_ctxt, nonvoluntary_ctxt,
           utime_ticks, stime_ticks FROM placement_samples WHERE run_id = ?${pointId === undefined ? '' : ' AND point_id = ?'} ORDER BY t_ms, tid`,
      )
      .all(...(pointId === undefined ? [runId] : [runId, pointId])) as (PlacementSample & { host: string })[];
    // "local" is the default: a run on this machine alone reads exactly as before hosts existed.
    return rows.map(({ host, ...s }) => (host === 'local' ? s : { host, ...s }));
  }

  recordProcess(p: { run_id: string; point_id: number | null; role: string; pid: number; start_ticks: string; argv: readonly string[]; host?: string }): void {
    this.db
      .prepare('INSERT INTO run_processes (run_id, point_id, role, pid, start_ticks, argv, host) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(p.run_id, p.point_id, p.role, p.pid, p.start_ticks, JSON.stringify(p.argv), p.host ?? 'local');
  }

  markProcessEnded(runId: string, pid: number, host = 'local'): void {
    this.db.prepare('UPDATE run_processes SET ended = 1 WHERE run_id = ? AND pid = ? AND host = ?').run(runId, pid, host);
  }

  /** Processes of a run on this machine that were never seen to end (other hosts: runHosts). */
  openProcesses(runId: string): { pid: number; start_ticks: string; role: string }[] {
    return this.db.prepare("SELECT pid, start_ticks, role FROM run_processes WHERE run_id = ? AND ended = 0 AND host = 'local'").all(runId) as { pid: number; start_ticks: string; role: string }[];
  }

  /** Every process a run started, where, and with what command line. */
  listProcesses(runId: string): { host: string; role: string; pid: number; argv: string[]; ended: boolean }[] {
    const rows = this.db.prepare('SELECT host, role, pid, argv, ended FROM run_processes WHERE run_id = ? ORDER BY rowid').all(runId) as {
      host: string;
      role: string;
      pid: number;
      argv: string;
      ended: number;
    }[];
    return rows.map((r) => ({ ...r, argv: JSON.parse(r.argv) as string[], ended: r.ended === 1 }));
  }

  /** Remote hosts where a run left processes never seen to end. */
  openProcessHosts(runId: string): string[] {
    const rows = this.db.prepare("SELECT DISTINCT host FROM run_processes WHERE run_id = ? AND ended = 0 AND host <> 'local'").all(runId) as { host: string }[];
    return rows.map((r) => r.host);
  }

  putRunHost(runId: string, h: RunHostRecord): void {
    const { name, kind, address, roles, ...facts } = h;
    this.db
      .prepare('INSERT OR REPLACE INTO run_hosts (run_id, name, kind, address, roles, facts) VALUES (?, ?, ?, ?, ?, ?)')
      .run(runId, name, kind, address, JSON.stringify(roles), JSON.stringify(facts));
  }

  listRunHosts(runId: string): RunHostRecord[] {
    const rows = this.db.prepare('SELECT name, kind, address, roles, facts FROM run_hosts WHERE run_id = ? ORDER BY rowid').all(runId) as {
      name: string;
      kind: RunHostRecord['kind'];
      address: string;
      roles: string;
      facts: string;
    }[];
    return rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      address: r.address,
      roles: JSON.parse(r.roles) as RunHostRecord['roles'],
      ...(JSON.parse(r.facts) as Omit<RunHostRecord, 'name' | 'kind' | 'address' | 'roles'>),
    }));
  }

  // ---- bundles ------------------------------------------------------------------------------

  /**
   * A transaction that takes the write lock at BEGIN: what it reads to decide what to write
   * cannot change before it writes (a deferred one could fail to upgrade under WAL).
   */
  immediateTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** By exact name only (findNotebook also matches ids and id prefixes). */
  getNotebookByName(name: string): NotebookRecord | undefined {
    return this.db.prepare('SELECT * FROM notebooks WHERE name = ?').get(name) as NotebookRecord | undefined;
  }

  /** Every row of every table, in rowid order: to show that a refused import changed nothing. */
  dumpTables(): Record<string, unknown[]> {
    const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    const out: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      out[name] = this.db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}" ORDER BY rowid`).all();
    }
    return out;
  }
}
