// `saio-lab serve`: web mode. The lab's API and the built renderer over HTTP on 127.0.0.1 only,
// behind a random access token. The first line on stdout is the URL to open (with the token);
// it runs until SIGINT/SIGTERM, then cancels a run in flight (recorded as cancelled), stops the
// server, and the CLI closes the database.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHandlers } from '../api/handlers';
import { JobManager } from '../api/jobs';
import { rendererDir } from '../api/static-files';
import { startWebServer, type WebServer } from '../api/web-server';
import type { Lab } from '../engine/lab';
import type { CommandContext } from './commands';
import { UsageError } from './usage';

/** The server of the handler map, not a client of it: the one command given the lab itself. */
export type ServeContext = CommandContext & { lab: Lab };

export async function serve(ctx: ServeContext): Promise<number> {
  if (ctx.args.length > 0) throw new UsageError(`serve takes no arguments, found "${ctx.args[0]}"`);
  const portText = ctx.opts.port ?? '0';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port takes a port number (0-65535; 0 = any free port), found "${portText}"`);

  const jobs = new JobManager(ctx.lab, { pty: true });
  const handlers = createHandlers(ctx.lab, jobs);
  let server: WebServer;
  try {
    server = await startWebServer({ handlers, jobs, port, log: (line) => ctx.err.write(`${line}\n`) });
  } catch (e) {
    ctx.err.write(`saio-lab serve: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}\n`);
    return 2;
  }
  ctx.out.write(`${server.url}\n`);
  ctx.err.write(`saio-lab serve: the lab ${ctx.lab.dbPath} is served on ${server.origin} (open the URL above; it carries the access token). Ctrl-C stops.\n`);
  if (!existsSync(join(rendererDir(), 'index.html'))) {
    ctx.err.write(`saio-lab serve: no renderer in ${rendererDir()} yet (npm run build makes it); the API works without it\n`);
  }

  const sig = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  const running = jobs.running();
  ctx.err.write(`saio-lab serve: ${sig}: ${running ? `cancelling job ${running.job} (stopping the server and load generator), then ` : ''}stopping\n`);
  await jobs.shutdown();
  await server.close();
  return 0;
}
