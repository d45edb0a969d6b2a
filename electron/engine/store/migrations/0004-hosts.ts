// Migration 4 (issue 15): a run's processes may live on other hosts. Placement samples and the
// processes a run started get the host they belong to ("local" for everything before), and each
// run keeps the hosts it used (kind, address, roles, environment, clock offset, network path).
import type { Database } from 'better-sqlite3';

export const version = 4;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE placement_samples ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
    ALTER TABLE run_processes ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
    CREATE TABLE run_hosts (
      run_id TEXT NOT NULL REFERENCES runs(id),
      name TEXT NOT NULL,
      kind TEXT NOT NULL,
      address TEXT NOT NULL,
      roles TEXT NOT NULL,
      facts TEXT NOT NULL,
      PRIMARY KEY (run_id, name)
    );
  `);
}
