// The bundle format: one gzip-compressed POSIX ustar archive holding a notebook, its whole
// history and its finished runs, so a result can be moved between machines and checked there.
//
//   manifest.json                    always first: format, version, and size + sha256 of every other file
//   notebook.json                    the notebook record and every revision with its content text
//   runs/<run-id>.json               run record, environment, points, placement samples, artifact list
//   artifacts/<run-id>/<index>       raw bytes of the run's artifact number <index> (0-based)
//
// Points are referred to by their `seq` (point ids are local to a database). Everything here is
// data: importing a bundle never runs a command it records.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths';

export const BUNDLE_FORMAT = 'saio-lab/bundle';
export const BUNDLE_VERSION = 2;
export const BUNDLE_EXTENSION = '.saiolab';

/** Bundles are gzip files; notebooks are JSON text. Decide by content, not by name. */
export function isBundle(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export const MANIFEST_PATH = 'manifest.json';
export const NOTEBOOK_PATH = 'notebook.json';

/** Wrong input, said in one line: what is wrong and what to do. Never a stack trace. */
export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/**
 * Ids that become path segments. Letters, digits, "-" and "_" only: no dots, so no "..", and
 * short enough that `artifacts/<id>/<index>` stays within ustar's 100-byte names.
 */
export const PATH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const runPath = (runId: string): string => `runs/${runId}.json`;
export const artifactPath = (runId: string, index: number): string => `artifacts/${runId}/${index}`;

export type BundlePath = { kind: 'manifest' } | { kind: 'notebook' } | { kind: 'run'; runId: string } | { kind: 'artifact'; runId: string; index: number };

/** Why a path could escape or confuse an extraction, or undefined when it is a plain relative path. */
function unsafeReason(path: string): string | undefined {
  if (path.includes('\0')) return 'it contains a NUL byte';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  const segments = path.split('/');
  if (segments.includes('..')) return 'it has a ".." segment';
  if (segments.includes('.')) return 'it has a "." segment';
  if (segments.includes('')) return 'it has an empty segment';
  return undefined;
}

/** What a bundle path holds; any other path is refused, naming it. */
export function classifyPath(path: string, source: string): BundlePath {
  const unsafe = unsafeReason(path);
  if (unsafe !== undefined) {
    throw new BundleError(`${source}: entry ${JSON.stringify(path)} escapes the bundle (${unsafe}); this is not a bundle saio-lab wrote, do not import it`);
  }
  if (path === MANIFEST_PATH) return { kind: 'manifest' };
  if (path === NOTEBOOK_PATH) return { kind: 'notebook' };
  const run = /^runs\/([^/]+)\.json$/.exec(path);
  if (run?.[1] && PATH_ID.test(run[1])) return { kind: 'run', runId: run[1] };
  const artifact = /^artifacts\/([^/]+)\/(0|[1-9][0-9]{0,5})$/.exec(path);
  if (artifact?.[1] && artifact[2] && PATH_ID.test(artifact[1])) {
    return { kind: 'artifact', runId: artifact[1], index: Number(artifact[2]) };
  }
  throw new BundleError(`${source}: unexpected entry ${JSON.stringify(path)} (a bundle holds only manifest.json, notebook.json, runs/ and artifacts/); this is not a bundle saio-lab wrote`);
}

let cachedProducer: string | undefined;

/** "saio-lab <version>", from the package.json of the running lab. */
export function producer(): string {
  if (cachedProducer === undefined) {
    let version = 'unknown';
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') version = pkg.version;
    } catch {
      // a lab without its package.json still writes valid bundles; the producer is informative only
    }
    cachedProducer = `saio-lab ${version}`;
  }
  return cachedProducer;
}
