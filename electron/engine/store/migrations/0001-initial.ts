// Migration 1: notebooks, immutable revisions, runs and everything a run records.
import type { Database } from 'better-sqlite3';

export const version = 1;

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE notebooks (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      head_revision_id TEXT
    );

    CREATE TABLE revisions (
      id TEXT PRIMARY KEY,
      notebook_id TEXT NOT NULL REFERENCES notebooks(id),
      parent_id TEXT REFERENCES revisions(id),
      content TEXT NOT NULL,
      content_sha256 TEXT NOT NULL,
      message TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
    CREATE INDEX revisions_by_notebook ON revisions(notebook_id, created_at);

    -- A revision is history: it never changes and is never removed.
    CREATE TRIGGER revisions_immutable BEFORE UPDATE ON revisions
      BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;
    CREATE TRIGGER revisions_undeletable BEFORE DELETE ON revisions
      BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END;

    CREATE TABLE runs (
      id TEXT PRIMARY KEY,
      notebook_id TEXT NOT NULL REFERENCES notebooks(id),
      revision_id TEXT NOT NULL REFERENCES revisions(id),
      cell_id TEXT NOT NULL,
      status TEXT NOT NULL
        CHECK (status IN ('running', 'ok', 'failed', 'interrupted', 'cancelled')),
      reason TEXT,
      quick INTEGER NOT NULL,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      owner_pid INTEGER NOT NULL,
      owner_start TEXT NOT NULL,
      points_planned INTEGER NOT NULL,
      run_dir TEXT NOT NULL
    );
    CREATE INDEX runs_by_notebook ON runs(notebook_id, started_at);

    -- A finished run is a record of what happened: only a running one may change.
    CREATE TRIGGER runs_immutable_when_ended BEFORE UPDATE ON runs
      WHEN OLD.status != 'running'
      BEGIN SELECT RAISE(ABORT, 'a finished run is immutable'); END;

    CREATE TABLE points (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs(id),
      seq INTEGER NOT NULL,
      backend TEXT NOT NULL,
      server TEXT NOT NULL,
      connections INTEGER NOT NULL,
      workers INTEGER NOT NULL,
      repeat INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
      reason TEXT,
      requests_per_s REAL,
      latency_p50_us REAL,
      latency_p90_us REAL,
      latency_p99_us REAL,
      latency_p999_us REAL,
      latency_max_us REAL,
      errors INTEGER,
      verified INTEGER NOT NULL,
      verification TEXT,
      load TEXT,
      started_at TEXT NOT NULL,
      ended_at TEXT,
      UNIQUE (run_id, seq)
    );

    CREATE TABLE artifacts (
      id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL REFERENCES runs(id),
      point_id INTEGER REFERENCES points(id),
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      size INTEGER NOT NULL,
      content BLOB NOT NULL
    );
    CREATE INDEX artifacts_by_run ON artifacts(run_id);

    CREATE TABLE environments (
      run_id TEXT PRIMARY KEY REFERENCES runs(id),
      snapshot TEXT NOT NULL
    );

    CREATE TABLE placement_samples (
      run_id TEXT NOT NULL REFERENCES runs(id),
      point_id INTEGER REFERENCES points(id),
      t_ms INTEGER NOT NULL,
      role TEXT NOT NULL,
      pid INTEGER NOT NULL,
      tid INTEGER NOT NULL,
      comm TEXT NOT NULL,
      cpu INTEGER NOT NULL,
      allowed_cpus TEXT NOT NULL,
      voluntary_ctxt INTEGER NOT NULL,
      nonvoluntary_ctxt INTEGER NOT NULL,
      utime_ticks INTEGER NOT NULL,
      stime_ticks INTEGER NOT NULL
    );
    CREATE INDEX placement_by_run ON placement_samples(run_id, t_ms);

    -- Every process a run started, so that processes left behind by a killed lab can be found
    -- and stopped (pid plus start time, so a recycled pid is never mistaken for ours).
    CREATE TABLE run_processes (
      run_id TEXT NOT NULL REFERENCES runs(id),
      point_id INTEGER REFERENCES points(id),
      role TEXT NOT NULL,
      pid INTEGER NOT NULL,
      start_ticks TEXT NOT NULL,
      argv TEXT NOT NULL,
      ended INTEGER NOT NULL DEFAULT 0
    );
  `);
}
