// Migration 3 (issue 12): what a point cost in CPU. `cpu` holds the measured phase's CPU seconds
// by class of thread (server, saio-kworker, sqpoll, io-wq, loadgen; model.ts PointCpu) as JSON;
// `requests_per_cpu_s` is the server-side efficiency metric beside requests_per_s. Points
// recorded before have neither (null): their CPU was not measured.
import type { Database } from 'better-sqlite3';

export const version = 3;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE points ADD COLUMN cpu TEXT;
    ALTER TABLE points ADD COLUMN requests_per_cpu_s REAL;
  `);
}
