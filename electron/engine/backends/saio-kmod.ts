// The server under libsaio with its kmod backend: batches go to saio.ko through /dev/saio, run
// either by the submitting thread in one ioctl (enter mode) or by kernel workers (worker mode).
// Before its first point of a run the kernel module step builds and loads saio.ko; on a host that
// cannot load modules every saio-kmod point is skipped with the exact reason (kmod/host.ts).
import { cannotLoadModules, hostFacts } from '../kmod/host';
import { guestModuleHost } from '../kmod/guest-step';
import { ModuleStep } from '../kmod/module-step';
import { KmodSettings, type ExperimentCell } from '../common/notebook/schema';
import { saioBackend } from './saio';

/** The cell's kmod settings, or their defaults when the cell has none. */
export function kmodSettings(cell: ExperimentCell): KmodSettings {
  return cell.kmod ?? KmodSettings.parse({});
}

/** libsaio's environment for these settings (the library's SAIO_KMOD_* contract). */
export function kmodEnv(k: KmodSettings): Record<string, string> {
  const env: Record<string, string> = { SAIO_BACKEND: 'kmod', SAIO_KMOD_MODE: k.mode };
  if (k.mode === 'worker') env.SAIO_KMOD_WORKERS = String(k.workers);
  if (k.rings !== undefined) env.SAIO_KMOD_RINGS = String(k.rings);
  if (k.cpus !== undefined) env.SAIO_KMOD_CPUS = typeof k.cpus === 'string' ? k.cpus : k.cpus.join(',');
  if (k.idle_us !== undefined) env.SAIO_KMOD_IDLE_US = String(k.idle_us);
  return env;
}

export const saioKmod = saioBackend('saio-kmod', {
  env: (ctx) => kmodEnv(kmodSettings(ctx.cell)),
  // In a guest, the guest's kernel is what loads the module: the module step checks it there.
  unavailable: (place) => (place?.guest ? null : cannotLoadModules(hostFacts())),
  beginRun: (ctx) =>
    ModuleStep.begin({
      runDir: ctx.runDir,
      params: kmodSettings(ctx.cell).module_params,
      signal: ctx.signal,
      progress: ctx.progress,
      ...(ctx.guest ? { on: guestModuleHost(ctx.guest), hostName: ctx.guest.name } : {}),
    }),
});
