// A remote login shell may write to stderr before the lab's spawn script runs (rc files: pyenv's
// rehash racing another login on the same home printed "rm: cannot remove …/shims/tmp.…" on gen2
// and failed a three-host point). The SAIO-PID line is then not the first stderr line; the spawn
// must still find it, and keep the shell's words in the process's stderr. Runs the real spawn
// script under a local sh standing in for ssh (no network).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SshProcess, type SshProcessHost } from './ssh-process';

const dir = mkdtempSync(join(tmpdir(), 'saio-ssh-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function noisyHost(noise: string): SshProcessHost {
  let seq = 0;
  return {
    name: 'noisy',
    address: 'ssh://noisy',
    runDir: join(dir, 'run'),
    // What sshd does with a login shell whose rc files complain first.
    clientArgv: (command) => ['/bin/sh', '-c', `printf '%s' "$1" >&2; exec /bin/sh -c "$2"`, 'sh', noise, command],
    killGroup: async (pgid, sig) => {
      try {
        process.kill(-pgid, sig);
      } catch {
        // gone
      }
    },
    processesInGroup: async () => [],
    nextSeq: () => ++seq,
    connectionLost: () => null,
  };
}

test('rc-file noise on stderr before the pid line: the process starts, the noise is kept in its stderr', async () => {
  const noise = "rm: cannot remove '/root/.pyenv/shims/tmp.x': No such file or directory\nsecond line without end";
  const p = await SshProcess.start(noisyHost(`${noise}\n`), { role: 'driver', argv: ['sh', '-c', 'echo out; echo err >&2'], stdoutPath: join(dir, 'o'), stderrPath: join(dir, 'e') });
  const exit = await p.exited;
  assert.equal(exit.code, 0);
  assert.equal(readFileSync(join(dir, 'o'), 'utf8'), 'out\n');
  const err = readFileSync(join(dir, 'e'), 'utf8');
  assert.ok(err.includes('rm: cannot remove') && err.includes('err\n'), err);
  assert.ok(!err.includes('SAIO-PID'), err);
});

test('a missing program is still said as such after rc-file noise', async () => {
  await assert.rejects(SshProcess.start(noisyHost('noise\n'), { role: 'driver', argv: ['/nonexistent/saio-nothing'] }), /saio-nothing/);
});
