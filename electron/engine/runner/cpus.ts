// CPU lists: parsing the kernel's "0-3,6" form and checking a notebook's pinning against the
// CPUs this process may actually use (a container or taskset may allow fewer than exist).
import { readFileSync } from 'node:fs';
import type { ExperimentCell } from '../common/notebook/schema';

export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a)) throw new Error(`not a CPU list: "${list}"`);
    const end = b === undefined ? a : b;
    if (!Number.isInteger(end) || end < a) throw new Error(`not a CPU list: "${list}"`);
    for (let c = a; c <= end; c++) out.push(c);
  }
  return out;
}

export function allowedCpus(): number[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(status)?.[1];
  return list ? parseCpuList(list) : [];
}

/** null when every pinned CPU (server, driver, kernel workers) can be used here; otherwise what is wrong and what to do. */
export function pinningProblem(cell: ExperimentCell, allowed: readonly number[] = allowedCpus()): string | null {
  for (const role of ['server', 'driver'] as const) {
    const want = cell.pinning[role];
    const missing = want?.filter((c) => !allowed.includes(c)) ?? [];
    if (missing.length > 0) {
      return `pinning.${role} names CPU ${missing.join(', ')}, but this machine lets the lab use CPUs ${allowed.join(', ')}; ` + `edit the notebook's pinning (or remove it) and run again`;
    }
  }
  // Kernel workers of saio-kmod pinned to a CPU the lab may not use would run elsewhere or fail.
  const kcpus = cell.kmod?.cpus;
  const missing = Array.isArray(kcpus) ? kcpus.filter((c) => !allowed.includes(c)) : [];
  if (missing.length > 0) {
    return `kmod.cpus names CPU ${missing.join(', ')}, but this machine lets the lab use CPUs ${allowed.join(', ')}; ` + `edit the notebook's kmod.cpus (or use "local", or remove it) and run again`;
  }
  return null;
}
