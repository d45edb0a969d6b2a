// Every server the lab can run. Adding one (lighttpd, redis, memcached) is one module here.
import { lighttpd } from './lighttpd';
import { nginx } from './nginx';
import type { ServerModule } from './types';

const modules: readonly ServerModule[] = [nginx, lighttpd];

export const serverKinds: readonly string[] = modules.map((m) => m.kind);

export function serverModule(kind: string): ServerModule {
  const m = modules.find((s) => s.kind === kind);
  if (!m) throw new Error(`unknown server "${kind}" (known: ${serverKinds.join(', ')})`);
  return m;
}
