// Where the repository lives at run time. Non-TypeScript assets (wrk's Lua script, …) are not
// copied into dist/, so code compiled there finds them from the repository root.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'saio-lab';

let cachedRoot: string | undefined;

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
