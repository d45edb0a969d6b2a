// Numbered migrations, applied in order; PRAGMA user_version records the last one applied.
import type { Database } from 'better-sqlite3';
import * as m0001 from './0001-initial';
import * as m0002 from './0002-load-result';
import * as m0003 from './0003-cpu';
import * as m0004 from './0004-hosts';

export interface Migration {
  version: number;
  up(db: Database): void;
}

export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`this database was written by a newer saio-lab (schema ${current}, this one knows up to ${latest}); ` + 'upgrade saio-lab or use another --db');
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
