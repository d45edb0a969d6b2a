// Test-only: a throw-away nginx serving a few files from a temporary directory on a free
// loopback port. Runs in the foreground (daemon off) so the test owns the master process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestNginx {
  /** Temporary prefix directory holding nginx.conf, the pid file and html/. */
  dir: string;
  port: number;
  url(path: string): string;
  /** Graceful stop (SIGQUIT), SIGKILL if still running after 5 s; then removes `dir`. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;
const STDERR_KEEP_BYTES = 8192;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function nginxConf(dir: string, port: number): string {
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    'user root;',
    'error_log stderr;',
    `pid ${join(dir, 'nginx.pid')};`,
    'events {}',
    'http {',
    '  access_log off;',
    // nginx would otherwise use compiled-in paths under /var/lib/nginx.
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'temp', t)};`),
    `  server { listen 127.0.0.1:${port}; root ${join(dir, 'html')}; }`,
    '}',
    '',
  ].join('\n');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Start nginx serving `files` (name → content) at /<name>. */
export async function startTestNginx(files: Record<string, Buffer>): Promise<TestNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'saio-test-nginx-'));
  try {
    await mkdir(join(dir, 'html'));
    await mkdir(join(dir, 'temp'));
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, 'html', name), content);
    return await launch(dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function launch(dir: string): Promise<TestNginx> {
  const port = await freePort();
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, nginxConf(dir, port));

  const child = spawn('nginx', ['-p', dir, '-c', confPath, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-STDERR_KEEP_BYTES);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const stop = async (): Promise<void> => {
    if (!(await exited(child, 0))) {
      child.kill('SIGQUIT');
      if (!(await exited(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await exited(child, STOP_TIMEOUT_MS);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), 50))]);
    if (failed) throw new Error(`cannot start nginx: ${failed.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before serving: ${stderr.trim()}`);
    }
    if (await canConnect(port)) {
      return { dir, port, url: (path) => `http://127.0.0.1:${port}/${path.replace(/^\//, '')}`, stop };
    }
  }
  await stop();
  throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
}
