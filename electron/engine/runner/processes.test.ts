import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RunningProcess, ToolMissingError, type OutputChunk } from './processes';
import { processesInGroup } from './procfs';

const dir = mkdtempSync(join(tmpdir(), 'saio-proc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const pty of [false, true]) {
  const mode = pty ? 'pty' : 'pipes';
  test(`${mode}: output reaches the files and the listener; a missing program is named`, async () => {
    const chunks: OutputChunk[] = [];
    const p = await RunningProcess.start({
      role: 'server',
      argv: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'],
      stdoutPath: join(dir, `${mode}.out`),
      stderrPath: join(dir, `${mode}.err`),
      pty,
      onOutput: (c) => chunks.push(c),
    });
    const exit = await p.exited;
    assert.equal(exit.code, 3);
    const out = readFileSync(join(dir, `${mode}.out`), 'utf8');
    const err = readFileSync(join(dir, `${mode}.err`), 'utf8');
    if (pty) {
      // A terminal has one stream: both lines, in order, with its CRLF turned back into LF.
      assert.match(out, /^out-line\nerr-line\n$/);
      assert.equal(err, '');
    } else {
      assert.equal(out, 'out-line\n');
      assert.equal(err, 'err-line\n');
    }
    assert.ok(chunks.some((c) => c.data.includes('out-line') && c.role === 'server'));
    await assert.rejects(
      RunningProcess.start({ role: 'server', argv: ['no-such-program-saio'], stdoutPath: join(dir, 'x.out'), stderrPath: join(dir, 'x.err'), pty }),
      (e: unknown) => e instanceof ToolMissingError && /"no-such-program-saio" is not installed/.test(e.message),
    );
  });

  test(`${mode}: stop ends the whole process group, forked children included`, async () => {
    const p = await RunningProcess.start({
      role: 'server',
      argv: ['sh', '-c', 'sleep 30 & sleep 30 & wait'],
      stdoutPath: join(dir, `${mode}-g.out`),
      stderrPath: join(dir, `${mode}-g.err`),
      pty,
    });
    for (let i = 0; i < 50 && processesInGroup(p.pid).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(processesInGroup(p.pid).length, 3, 'the shell and its two children share the group');
    const r = await p.stop('SIGTERM', 2000);
    assert.equal(r.forced, false);
    assert.deepEqual(processesInGroup(p.pid), []);
  });
}
