// Every server the lab can run, one module each; what each is (protocol, workers) is in catalog.ts.
import { lighttpd } from './lighttpd';
import { memcached } from './memcached';
import { nginx } from './nginx';
import { redis } from './redis';
import type { ServerModule } from './types';

const modules: readonly ServerModule[] = [nginx, lighttpd, redis, memcached];

export const serverKinds: readonly string[] = modules.map((m) => m.kind);

export function serverModule(kind: string): ServerModule {
  const m = modules.find((s) => s.kind === kind);
  if (!m) throw new Error(`unknown server "${kind}" (known: ${serverKinds.join(', ')})`);
  return m;
}
