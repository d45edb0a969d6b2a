// Every backend the lab can compare. saio-sync, saio-uring and saio-kmod plug in here.
import { baseline } from './baseline';
import { saioSync, saioUring } from './saio';
import type { BackendModule } from './types';

const modules: readonly BackendModule[] = [baseline, saioSync, saioUring];

export const backendNames: readonly string[] = modules.map((m) => m.name);

export function backendModule(name: string): BackendModule {
  const m = modules.find((b) => b.name === name);
  if (!m) throw new Error(`unknown backend "${name}" (known: ${backendNames.join(', ')})`);
  return m;
}
