// Importing a bundle stores what it recorded (server configs, argv, logs) as data: it never
// starts a process, whatever the bundle says.
import assert from 'node:assert/strict';
import childProcess = require('node:child_process');
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadRevision } from '../notebooks';
import { Store } from '../store/store';
import { exportBundle } from './export';
import { fillSource } from './fixture';
import { importBundle } from './import';

const dir = mkdtempSync(join(tmpdir(), 'saio-bundle-noexec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TRAPPED = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

/** Run fn with every way of starting a process replaced by one that records the call and throws. */
function withProcessTrap<T>(fn: () => T): { result: T; calls: string[] } {
  const calls: string[] = [];
  const cp = childProcess as unknown as Record<string, unknown>;
  const saved = TRAPPED.map((name) => [name, cp[name]] as const);
  for (const name of TRAPPED) {
    cp[name] = (...args: unknown[]) => {
      calls.push(`${name} ${JSON.stringify(args[0])}`);
      throw new Error(`${name} called during import`);
    };
  }
  try {
    const result = fn();
    // The trap is live: a call made now is caught and recorded, so an empty list means something.
    assert.throws(() => childProcess.execFileSync('true'), /execFileSync called during import/);
    return { result, calls: calls.slice(0, -1) };
  } finally {
    for (const [name, f] of saved) cp[name] = f;
  }
}

test('a bundle whose config and artifacts hold shell commands is imported without running anything', () => {
  const pwned = join(dir, 'pwned');
  const shell = `#!/bin/sh\ntouch ${pwned}\n$(touch ${pwned})\n\`touch ${pwned}\`\n`;
  const src = new Store(':memory:');
  const { notebook } = fillSource(src, { extraConfig: `error_log ${pwned};\n`, artifactText: shell });
  const file = join(dir, 'hostile.saiolab');
  exportBundle(src, notebook.id, file);

  const dst = new Store(':memory:');
  const { result, calls } = withProcessTrap(() => importBundle(dst, file));
  assert.deepEqual(calls, []);
  assert.equal(result.runs_added, 2);
  assert.equal(existsSync(pwned), false);
  // It is all there, verbatim, as data.
  const exp = loadRevision(dst, notebook.head_revision_id as string).cells[1];
  assert.equal(exp?.type === 'experiment' && exp.server.extra_config, `error_log ${pwned};\n`);
  const config = dst.listArtifacts('run-000000000001').find((a) => a.kind === 'server-config');
  assert.equal(dst.artifactContent(config?.id as number)?.toString(), shell);
});
