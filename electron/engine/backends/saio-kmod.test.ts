// The saio-kmod backend: libsaio's environment for each notebook setting, the launch it wraps, why
// it cannot run on this host, and the kernel-worker CPU check done before a run starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotLoadModules, hostFacts } from '../kmod/host';
import { KmodSettings, type ExperimentCell } from '../common/notebook/schema';
import { pinningProblem } from '../runner/cpus';
import { backendModule, backendNames } from './registry';
import { libsaioPath } from './saio';
import { kmodEnv, kmodSettings, saioKmod } from './saio-kmod';

const k = (v: unknown) => KmodSettings.parse(v);
const cell = (kmod?: unknown): ExperimentCell =>
  ({
    id: 'c',
    type: 'experiment',
    server: { kind: 'nginx', workers: 1, extra_config: '' },
    protocol: { kind: 'http', file_size: 1, keep_alive: true },
    backends: ['saio-kmod'],
    driver: { kind: 'wrk', threads: 1, timeout_s: 5, verify: 'warmup' },
    sweep: { connections: [1] },
    duration_s: 1,
    warmup_s: 0,
    repeats: 1,
    pinning: {},
    ...(kmod === undefined ? {} : { kmod: k(kmod) }),
  }) as ExperimentCell;

test('saio-kmod is a registered backend', () => {
  assert.ok(backendNames.includes('saio-kmod'));
  assert.equal(backendModule('saio-kmod'), saioKmod);
  assert.equal(typeof saioKmod.beginRun, 'function', 'it has a module step');
});

test('libsaio’s environment: enter mode by default; worker mode with workers, placement and spin time', () => {
  assert.deepEqual(kmodEnv(kmodSettings(cell())), { SAIO_BACKEND: 'kmod', SAIO_KMOD_MODE: 'enter' });
  assert.deepEqual(kmodEnv(k({ mode: 'worker' })), { SAIO_BACKEND: 'kmod', SAIO_KMOD_MODE: 'worker', SAIO_KMOD_WORKERS: '1' });
  assert.deepEqual(kmodEnv(k({ mode: 'worker', workers: 3, cpus: [1, 0, 1], idle_us: 250 })), {
    SAIO_BACKEND: 'kmod',
    SAIO_KMOD_MODE: 'worker',
    SAIO_KMOD_WORKERS: '3',
    SAIO_KMOD_CPUS: '1,0,1',
    SAIO_KMOD_IDLE_US: '250',
  });
  assert.equal(kmodEnv(k({ mode: 'worker', cpus: 'local' })).SAIO_KMOD_CPUS, 'local');
  assert.equal(kmodEnv(k({ mode: 'worker', cpus: 'local+2' })).SAIO_KMOD_CPUS, 'local+2');
  assert.deepEqual(kmodEnv(k({ rings: 4 })), { SAIO_BACKEND: 'kmod', SAIO_KMOD_MODE: 'enter', SAIO_KMOD_RINGS: '4' });
  // Module parameters go to insmod, not to the library.
  assert.equal(
    Object.keys(kmodEnv(k({ module_params: { default_idle_us: 5 } }))).some((n) => n.includes('IDLE')),
    false,
  );
});

test('the server is launched under libsaio with those settings and its statistics in the point’s directory', () => {
  const launch = { argv: ['nginx'], env: { LD_PRELOAD: '/other.so', KEEP: '1' }, files: [], logFile: null, stopSignal: 'SIGQUIT' as const };
  const wrapped = saioKmod.wrap(launch, { pointDir: '/runs/p001', cell: cell({ mode: 'worker', workers: 2, cpus: 'local' }) });
  assert.deepEqual(wrapped.env, {
    LD_PRELOAD: `${libsaioPath()} /other.so`,
    KEEP: '1',
    SAIO_BACKEND: 'kmod',
    SAIO_KMOD_MODE: 'worker',
    SAIO_KMOD_WORKERS: '2',
    SAIO_KMOD_CPUS: 'local',
    SAIO_STATS: '/runs/p001/saio-stats.json',
  });
  assert.deepEqual(wrapped.argv, ['nginx']);
});

test('on this host it says exactly why it cannot run', () => {
  const why = cannotLoadModules(hostFacts());
  const said = saioKmod.unavailable();
  if (why === null) assert.ok(said === null || said.includes('libsaio.so'), said ?? '');
  else assert.ok(said?.endsWith(why), `${said} should end with ${why}`);
});

test('kernel workers pinned to CPUs the lab may not use fail the run before it starts; "local" is always fine', () => {
  assert.equal(pinningProblem(cell({ mode: 'worker', cpus: [0, 1] }), [0, 1]), null);
  assert.equal(pinningProblem(cell({ mode: 'worker', cpus: 'local' }), [0]), null);
  assert.equal(
    pinningProblem(cell({ mode: 'worker', cpus: [1, 7, 9] }), [0, 1]),
    'kmod.cpus names CPU 7, 9, but this machine lets the lab use CPUs 0, 1; edit the notebook\'s kmod.cpus (or use "local", or remove it) and run again',
  );
});
