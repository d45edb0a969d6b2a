// The layer rule (eslint.config.mjs, eslint-plugin-boundaries) really stops an upward import: each
// probe below is linted as if it were a file at that path, and every forbidden import must be
// reported by boundaries/dependencies while every allowed one passes (so the rule is not simply off).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repoRoot } from './engine/paths';

type Probe = [path: string, source: string];

const FORBIDDEN: Probe[] = [
  ['electron/engine/probe.ts', "import { createHandlers } from '../api/handlers';"],
  ['electron/engine/probe.ts', "import { commands } from '../cli/commands';"],
  ['electron/engine/runner/probe.ts', "import { loadWindowState } from '../../main/window-state';"],
  ['electron/engine/probe.ts', "import { app } from 'electron';"],
  ['electron/engine/probe.ts', "import { createElement } from 'react';"],
  ['electron/engine/common/probe.ts', "import { Lab } from '../lab';"],
  ['electron/engine/common/probe.ts', "import { readFileSync } from 'node:fs';"],
  ['renderer/src/probe.ts', "import { validateNotebook } from '../../electron/engine/notebook/validate';"],
  ['renderer/src/probe.ts', "import type { Lab } from '../../electron/engine/lab';"],
  ['renderer/src/stores/probe.ts', "import { createHandlers } from '../../../electron/api/handlers';"],
  ['renderer/src/probe.ts', "import { readFileSync } from 'node:fs';"],
  ['electron/main/preload.ts', "import { readFileSync } from 'node:fs';"],
  ['electron/main/preload.ts', "import { METRICS } from '../engine/common/metrics';"],
];

const ALLOWED: Probe[] = [
  ['electron/engine/probe.ts', "import { METRICS } from './common/metrics';"],
  ['electron/engine/probe.ts', "import { readFileSync } from 'node:fs';"],
  ['renderer/src/probe.ts', "import { METRICS } from '../../electron/engine/common/metrics';"],
  ['renderer/src/probe.ts', "import type { LabEvent } from '../../electron/api/contract';"],
  ['renderer/src/probe.ts', "import { createWebClient } from '../../electron/api/web-client';"],
  ['electron/main/preload.ts', "import { contextBridge } from 'electron';"],
  ['electron/main/preload.ts', "import type { Method } from '../api/contract';"],
  ['electron/main/probe.ts', "import { createHandlers } from '../api/handlers';"],
  ['electron/cli/probe.ts', "import { Lab } from '../engine/lab';"],
];

async function layerErrors([path, source]: Probe): Promise<string[]> {
  // eslint is ESM-first; loaded at run time so the compiled CommonJS test can use it.
  const { ESLint } = (await import('eslint')) as typeof import('eslint');
  const eslint = new ESLint({ cwd: repoRoot() });
  const name = /import (?:type )?\{ (\w+)/.exec(source)?.[1] ?? 'x';
  const [result] = await eslint.lintText(`${source}\nexport type Used = typeof ${name};\n`, { filePath: path });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

test('an upward import fails lint: engine → api, cli, main, electron, react; common → engine, Node; renderer → engine, api; preload → anything but electron', { timeout: 120_000 }, async () => {
  for (const probe of FORBIDDEN) {
    const errors = await layerErrors(probe);
    assert.ok(errors.length > 0, `${probe[0]}: ${probe[1]} passed lint`);
  }
});

test('the imports each layer may make pass lint', { timeout: 120_000 }, async () => {
  for (const probe of ALLOWED) assert.deepEqual(await layerErrors(probe), [], `${probe[0]}: ${probe[1]}`);
});
