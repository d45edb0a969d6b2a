// Every backend the lab can compare, one module each.
import { baseline } from './baseline';
import { saioSync, saioUring, saioUringFold } from './saio';
import { saioKmod } from './saio-kmod';
import type { BackendModule } from './types';

const modules: readonly BackendModule[] = [baseline, saioSync, saioUring, saioUringFold, saioKmod];

export const backendNames: readonly string[] = modules.map((m) => m.name);

export function backendModule(name: string): BackendModule {
  const m = modules.find((b) => b.name === name);
  if (!m) throw new Error(`unknown backend "${name}" (known: ${backendNames.join(', ')})`);
  return m;
}
