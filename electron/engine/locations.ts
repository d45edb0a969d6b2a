// Where the lab keeps its data. The database path is, in order: --db, $SAIO_LAB_DB,
// $XDG_DATA_HOME/saio-lab/lab.db, ~/.local/share/saio-lab/lab.db.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAIO_LAB_DB) return resolve(env.SAIO_LAB_DB);
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(base, 'saio-lab', 'lab.db');
}

/**
 * Run directories (configs, logs, served files) live beside the database they belong to. Always
 * absolute: servers run with their run directory as working directory.
 */
export function runsDir(dbPath: string): string {
  return dbPath === ':memory:' ? join(process.cwd(), 'saio-lab-runs') : join(dirname(resolve(dbPath)), 'runs');
}
