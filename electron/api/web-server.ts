// Web mode: the lab's API and the built renderer over HTTP on 127.0.0.1, for a browser.
//
//   POST /api/<method>   JSON body = the method's input  → JSON Result (HTTP 200 even when
//                        the Result is an error; other statuses are transport problems)
//   GET  /api/events     Server-Sent Events, one `data:` line of JSON per LabEvent
//   GET  /…              static files of dist/renderer/ (index.html for /), 404 otherwise
//
// Access token: a random 24-byte token (base64url) is made at start. Every request must carry it,
// in one of three ways:
//   - the query string `?token=…`: how the page is first opened (the URL `serve` prints). A GET
//     of a page with a valid query token sets the cookie below and redirects to the same path
//     without the token, so it does not linger in the address bar or the history;
//   - the cookie `saio_lab_<port>` (HttpOnly, SameSite=Strict, Path=/): what the browser then
//     sends with every fetch and with EventSource, which cannot set headers;
//   - the header `X-SAIO-Lab-Token: …` or `Authorization: Bearer …`: for scripts and tests.
// Without it: 401. Also refused: a Host header other than 127.0.0.1:<port> / localhost:<port>
// (DNS rebinding), a POST whose Origin is another origin (other local sites are "same-site"
// for cookies), and a POST that is not application/json.
//
// Request bodies are capped at 256 MiB (413 beyond): a bundle import carries the bundle as
// base64, so web mode imports bundles up to about 190 MiB (the desktop app has no such cap).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LabEvent } from './contract';
import { dispatch, type Handlers } from './handlers';
import type { JobManager } from './jobs';
import { contentType, rendererDir, resolveStatic, SECURITY_HEADERS } from './static-files';

export const MAX_BODY_BYTES = 256 * 1024 * 1024;
export const TOKEN_HEADER = 'x-saio-lab-token';
const HEARTBEAT_MS = 15_000;

export interface WebServerOptions {
  handlers: Handlers;
  jobs: JobManager;
  /** 0 (default): any free port. */
  port?: number;
  /** Default: a fresh random token. */
  token?: string;
  /** Default: dist/renderer of this checkout. */
  staticDir?: string;
  /** Internal errors (with stacks) go here; clients only ever see one line. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

export interface WebServer {
  /** http://127.0.0.1:PORT/?token=… — what a person opens. */
  url: string;
  origin: string;
  port: number;
  token: string;
  cookieName: string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');

const transportError = (res: ServerResponse, status: number, message: string) => sendJson(res, status, { ok: false, error: { code: status === 500 ? 'internal' : 'invalid_input', message } });

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const token = o.token ?? newToken();
  const tokenBuf = Buffer.from(token);
  const staticDir = o.staticDir ?? rendererDir();
  const maxBody = o.maxBodyBytes ?? MAX_BODY_BYTES;
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const streams = new Set<ServerResponse>();
  let port = 0;
  let cookieName = '';

  const tokenOk = (candidate: string | undefined): boolean => {
    if (candidate === undefined) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, 'wrong host\n');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    const queryToken = url.searchParams.get('token') ?? undefined;
    const auth = req.headers.authorization;
    const headerToken = (req.headers[TOKEN_HEADER] as string | undefined) ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
    const cookieToken = parseCookies(req.headers.cookie).get(cookieName);
    if (!tokenOk(headerToken) && !tokenOk(cookieToken) && !tokenOk(queryToken)) {
      return send(res, 401, 'this lab needs its access token: open the URL `saio-lab serve` printed\n');
    }

    if (url.pathname.startsWith('/api/')) {
      const name = url.pathname.slice('/api/'.length);
      if (name === 'events') {
        if (req.method !== 'GET') return send(res, 405, 'GET only\n', undefined, { Allow: 'GET' });
        return events(req, res);
      }
      if (req.method !== 'POST') return send(res, 405, 'POST only\n', undefined, { Allow: 'POST' });
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`) {
        return send(res, 403, 'cross-origin requests are refused\n');
      }
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return transportError(res, 415, 'expected Content-Type: application/json');
      const body = await readBody(req, maxBody);
      if (body === 'too-large') {
        transportError(res, 413, `request body over ${maxBody} bytes`);
        req.destroy();
        return;
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (e) {
        return transportError(res, 400, `the request body is not JSON: ${(e as Error).message}`);
      }
      const result = await dispatch(o.handlers, name, input, (method, e) => log(`saio-lab serve: internal error in ${method}: ${(e as Error)?.stack ?? String(e)}`));
      return sendJson(res, 200, result);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only\n', undefined, { Allow: 'GET, HEAD' });
    if (queryToken !== undefined && tokenOk(queryToken)) {
      // Trade the token in the URL for the cookie, and drop it from the address bar.
      url.searchParams.delete('token');
      return send(res, 303, 'see other\n', undefined, {
        Location: `${url.pathname}${url.search}`,
        'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    const file = resolveStatic(staticDir, url.pathname);
    if (!file) {
      const missing = url.pathname === '/' ? 'the renderer is not built yet: run `npm run build`\n' : 'not found\n';
      return send(res, 404, missing);
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentType(file), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    const write = (e: LabEvent) => res.write(`data: ${JSON.stringify(e)}\n\n`);
    // A UI that (re)connects mid-run learns of the job at once.
    const running = o.jobs.running();
    if (running) write({ type: 'job', job: running });
    const unsubscribe = o.jobs.subscribe(write);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`saio-lab serve: ${(e as Error)?.stack ?? String(e)}`);
      if (!res.headersSent) transportError(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.requestTimeout = 0; // large imports and the event stream may take long
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  cookieName = `saio_lab_${port}`;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    cookieName,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
