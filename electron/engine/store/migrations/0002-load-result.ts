// Migration 2 (issue 11): points of any driver and protocol. A point gets its kind (a measured
// point or a capacity probe), its configuration key, the open-loop rate it was asked for (as
// requests/s and, when swept that way, as a fraction of capacity), the offered rate the
// generator measured and the warnings it raised. Stored load results and verifications move to
// today's shapes (legacy/v1.ts: wrk's summary becomes a closed-loop LoadResult; the body checks
// and sha256 become response checks and the http protocol's after-load check).
import type { Database } from 'better-sqlite3';
import { loadFromV1, verificationFromV1, type LoadResultV1, type VerificationV1 } from '../../legacy/v1';
import { configKey } from '../../common/axes';

export const version = 2;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE points ADD COLUMN kind TEXT NOT NULL DEFAULT 'measure' CHECK (kind IN ('measure', 'probe'));
    ALTER TABLE points ADD COLUMN config TEXT NOT NULL DEFAULT '';
    ALTER TABLE points ADD COLUMN rate_per_s REAL;
    ALTER TABLE points ADD COLUMN rate_of_capacity REAL;
    ALTER TABLE points ADD COLUMN offered_per_s REAL;
    ALTER TABLE points ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
  `);
  const rows = db.prepare('SELECT id, connections, workers, load, verification FROM points').all() as {
    id: number;
    connections: number;
    workers: number;
    load: string | null;
    verification: string | null;
  }[];
  const update = db.prepare('UPDATE points SET config = ?, load = ?, verification = ? WHERE id = ?');
  for (const r of rows) {
    const load = r.load === null ? null : JSON.stringify(loadFromV1(JSON.parse(r.load) as LoadResultV1));
    const verification = r.verification === null ? null : JSON.stringify(verificationFromV1(JSON.parse(r.verification) as VerificationV1));
    update.run(configKey({ workers: r.workers, connections: r.connections, rate: null }), load, verification, r.id);
  }
}
