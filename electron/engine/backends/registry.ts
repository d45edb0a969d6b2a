// Every backend the lab can compare, one module each; their names are common/backends/catalog.ts's.
import { backendNames } from '../common/backends/catalog';
import { baseline } from './baseline';
import { saioSync, saioUring, saioUringFold } from './saio';
import { saioKmod } from './saio-kmod';
import type { BackendModule } from './types';

const modules: readonly BackendModule[] = [baseline, saioSync, saioUring, saioUringFold, saioKmod];

/** The names the catalog lists that no module runs, and the modules the catalog does not list. */
export function catalogMismatch(mods: readonly BackendModule[], names: readonly string[]): string[] {
  const have = mods.map((m) => m.name);
  return [...names.filter((n) => !have.includes(n)).map((n) => `"${n}" has no module`), ...have.filter((n) => !names.includes(n)).map((n) => `module "${n}" is not in the catalog`)];
}

const mismatch = catalogMismatch(modules, backendNames);
if (mismatch.length) throw new Error(`backends: the catalog and the modules differ: ${mismatch.join('; ')}`);

export { backendNames };

export function backendModule(name: string): BackendModule {
  const m = modules.find((b) => b.name === name);
  if (!m) throw new Error(`unknown backend "${name}" (known: ${backendNames.join(', ')})`);
  return m;
}
