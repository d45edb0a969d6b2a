// The server under libsaio (preload/build/libsaio.so), with one of its backends. The library
// writes its statistics (SAIO_STATS) into the point's directory — one file per process, since
// nginx forks workers — and they are stored with the point.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { forChildProcess, repoRoot } from '../paths';
import type { ServerLaunch } from '../servers/types';
import type { BackendContext, BackendModule, BackendPlace } from './types';

export const STATS_FILE = 'saio-stats.json';

export function libsaioPath(): string {
  return forChildProcess(join(repoRoot(), 'preload', 'build', 'libsaio.so'));
}

function libsaioMissing(): string | null {
  const lib = libsaioPath();
  return existsSync(lib) ? null : `${lib} is not built: run \`npm run build\` (needs liburing-dev)`;
}

export interface SaioBackendOptions {
  /** libsaio's environment for this backend (SAIO_BACKEND and its own settings). */
  env: (ctx: BackendContext) => Record<string, string>;
  /** What else this backend needs beyond the library, checked after it. */
  unavailable?: (place?: BackendPlace) => string | null;
  beginRun?: BackendModule['beginRun'];
}

export function saioBackend(name: string, o: SaioBackendOptions): BackendModule {
  return {
    name,
    // Every reason at once: someone fixing one should not discover the next on the next run.
    unavailable: (place?: BackendPlace) => [libsaioMissing(), o.unavailable?.(place) ?? null].filter((r): r is string => r !== null).join('; ') || null,
    wrap(launch: ServerLaunch, ctx: BackendContext): ServerLaunch {
      const preload = [libsaioPath(), launch.env.LD_PRELOAD].filter(Boolean).join(' ');
      return { ...launch, env: { ...launch.env, ...o.env(ctx), LD_PRELOAD: preload, SAIO_STATS: join(ctx.pointDir, STATS_FILE) } };
    },
    artifacts(ctx: BackendContext) {
      if (!existsSync(ctx.pointDir)) return [];
      return readdirSync(ctx.pointDir)
        .filter((f) => f === STATS_FILE || f.startsWith(`${STATS_FILE}.`))
        .sort()
        .map((f) => ({ kind: 'preload-stats', name: f, path: join(ctx.pointDir, f) }));
    },
    ...(o.beginRun ? { beginRun: o.beginRun } : {}),
  };
}

/** The library loaded, every call passed straight through: what loading it costs by itself. */
export const saioSync = saioBackend('saio-sync', { env: () => ({ SAIO_BACKEND: 'sync' }) });
/** Batched through io_uring: one kernel entry per batch. */
export const saioUring = saioBackend('saio-uring', { env: () => ({ SAIO_BACKEND: 'uring' }) });
/** The same, with the epoll wait folded into the batch's io_uring_enter where the kernel has
 * IORING_OP_EPOLL_WAIT (6.15+): opt-in in the library, a backend here so a cell can compare it
 * with saio-uring in the same alternated rounds. */
export const saioUringFold = saioBackend('saio-uring-fold', { env: () => ({ SAIO_BACKEND: 'uring', SAIO_EPOLL_WAIT: '1' }) });
