// Where the repository lives at run time. Non-TypeScript assets (wrk's Lua script, …) are not
// copied into dist/, so code compiled there finds them from the repository root.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'saio-lab';

let cachedRoot: string | undefined;

/**
 * A file of the app that another program (wrk, the dynamic loader) opens. In the packaged desktop
 * app the repository root is inside app.asar, which only Electron's own fs can read; such files
 * are unpacked beside it (package.json "build.asarUnpack"), in app.asar.unpacked.
 */
export function forChildProcess(path: string): string {
  return path.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** The nearest directory at or above this file whose package.json is named "saio-lab". */
export function repoRoot(): string {
  if (cachedRoot === undefined) cachedRoot = findRepoRoot(__dirname);
  return cachedRoot;
}

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (packageNameIn(dir) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`no directory at or above ${start} holds a package.json named "${PACKAGE_NAME}"`);
}

function packageNameIn(dir: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && typeof parsed.name === 'string') {
      return parsed.name;
    }
  } catch {
    // no package.json here, or not JSON: keep walking up
  }
  return undefined;
}
