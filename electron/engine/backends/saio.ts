// The server under libsaio (preload/build/libsaio.so), with one of its backends. The library
// writes its statistics (SAIO_STATS) into the point's directory — one file per process, since
// nginx forks workers — and they are stored with the point.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { forChildProcess, repoRoot } from '../paths';
import type { ServerLaunch } from '../servers/types';
import type { BackendContext, BackendModule } from './types';

export const STATS_FILE = 'saio-stats.json';

export function libsaioPath(): string {
  return forChildProcess(join(repoRoot(), 'preload', 'build', 'libsaio.so'));
}

function saioBackend(name: string, env: Record<string, string>): BackendModule {
  return {
    name,
    unavailable() {
      const lib = libsaioPath();
      return existsSync(lib) ? null : `${lib} is not built: run \`npm run build\` (needs liburing-dev)`;
    },
    wrap(launch: ServerLaunch, ctx: BackendContext): ServerLaunch {
      const preload = [libsaioPath(), launch.env.LD_PRELOAD].filter(Boolean).join(' ');
      return { ...launch, env: { ...launch.env, ...env, LD_PRELOAD: preload, SAIO_STATS: join(ctx.pointDir, STATS_FILE) } };
    },
    artifacts(ctx: BackendContext) {
      if (!existsSync(ctx.pointDir)) return [];
      return readdirSync(ctx.pointDir)
        .filter((f) => f === STATS_FILE || f.startsWith(`${STATS_FILE}.`))
        .sort()
        .map((f) => ({ kind: 'preload-stats', name: f, path: join(ctx.pointDir, f) }));
    },
  };
}

/** The library loaded, every call passed straight through: what loading it costs by itself. */
export const saioSync = saioBackend('saio-sync', { SAIO_BACKEND: 'sync' });
/** Batched through io_uring: one kernel entry per batch. */
export const saioUring = saioBackend('saio-uring', { SAIO_BACKEND: 'uring' });
