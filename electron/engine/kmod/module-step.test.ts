// The kernel module step: its arguments, the POSIX-sh script it drives (parsed by dash and busybox,
// its build subcommand run for real against the installed Debian headers, its log filter), and
// the step's sequence and failure reasons — for real on this host, which cannot load modules, and
// with a stand-in script for the paths only a module-capable host can take.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../paths';
import { debianKernel } from './debian-kernel';
import { cannotLoadModules, hostFacts, type HostFacts } from './host';
import { EXIT, insmodParams, ModuleStep, moduleStepScript, runStep, stepArgv } from './module-step';

const dir = mkdtempSync(join(tmpdir(), 'saio-modstep-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = moduleStepScript();
// The Debian kernel the harness also builds against; its version moves with apt, so it is asked.
const KERNEL = debianKernel();
const HEADERS = 'missing' in KERNEL ? '/usr/src/linux-headers-(none)' : KERNEL.headers;
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((b) => existsSync(b));

function sh(shell: readonly string[], args: string[], input?: string) {
  const [program, ...pre] = shell as [string, ...string[]];
  const r = spawnSync(program, [...pre, script, ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('insmod parameters: name=value in name order; numbers become text', () => {
  assert.deepEqual(insmodParams({}), []);
  assert.deepEqual(insmodParams({ default_idle_us: 200, b_opt: 'x,y.z-1_A' }), ['b_opt=x,y.z-1_A', 'default_idle_us=200']);
});

test('insmod parameters that a shell or the kernel could misread are refused with what is allowed', () => {
  assert.throws(() => insmodParams({ 'Bad-Name': 1 }), /module parameter name "Bad-Name": expected 1 to 64 of a-z and "_"/);
  assert.throws(() => insmodParams({ a: 'x y' }), /module parameter a="x y": expected a whole number ≥ 0 or 1 to 256 of 0-9/);
  assert.throws(() => insmodParams({ a: '$(reboot)' }), /module parameter a=/);
  assert.throws(() => insmodParams({ a: -1 }), /module parameter a=-1/);
  assert.throws(() => insmodParams({ a: 1.5 }), /module parameter a=1\.5/);
  assert.throws(() => insmodParams({ a: '' }), /module parameter a=""/);
});

test('the step calls the script as an argv array through sh, never a shell string', () => {
  assert.deepEqual(stepArgv('/x/module-step.sh', 'load', '/r/saio.ko', 'a=1'), ['sh', '/x/module-step.sh', 'load', '/r/saio.ko', 'a=1']);
  assert.ok(existsSync(script), script);
  assert.match(script, /kmod\/scripts\/module-step\.sh$/);
});

test('the script parses under dash (sh -n) and busybox sh -n, and has no bash-isms the checks know of', () => {
  const dash = spawnSync('sh', ['-n', script], { encoding: 'utf8' });
  assert.equal(dash.status, 0, dash.stderr);
  assert.ok(busybox, 'busybox is needed to check the script the QEMU guest runs (apt-get install busybox-static)');
  const bb = spawnSync(busybox, ['sh', '-n', script], { encoding: 'utf8' });
  assert.equal(bb.status, 0, bb.stderr);
  const text = readFileSync(script, 'utf8');
  assert.match(text, /^#!\/bin\/sh\n/);
  const code = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  for (const bashism of [/\[\[/, /\bfunction\s+\w+/, /\$\{[A-Za-z_]+\/\//, /<<</, /\blocal\b/, /\bsource\b/, /(^|[\s=])\$'/, /==/]) {
    assert.ok(!bashism.test(code), `no ${bashism} in ${script}`);
  }
});

test('usage errors exit 2 and say the usage', () => {
  for (const args of [[], ['frob'], ['build', HEADERS], ['dmesg-since']]) {
    const r = sh(['sh'], args);
    assert.equal(r.code, EXIT.usage, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage: .*build KDIR OUTDIR \| loaded \| mark \| load KO/);
  }
  const bad = sh(['sh'], ['load', '/nonexistent/saio.ko', 'x=$(id)']);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /bad module parameter "x=\$\(id\)": expected name=value/);
});

test('build: saio.ko for the Debian kernel (kmod/scripts/debian-kernel.sh) in a fresh directory, the source tree left as it was', () => {
  assert.ok(!('missing' in KERNEL), 'missing' in KERNEL ? KERNEL.missing : '');
  const kmod = join(repoRoot(), 'kmod');
  const products = () => readdirSync(kmod).filter((f) => /\.(o|ko|mod|mod\.c|cmd)$|^Module\.symvers$|^modules\.order$/.test(f)).sort();
  const before = products();
  const out = join(dir, 'build');
  const r = sh(['sh'], ['build', HEADERS, out]);
  assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
  assert.match(r.stdout, new RegExp(`built ${out}/saio\\.ko\\n$`));
  const info = spawnSync('modinfo', ['-F', 'vermagic', join(out, 'saio.ko')], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/sbin:/usr/sbin` } });
  assert.ok(info.stdout.startsWith(`${KERNEL.version} SMP`), `vermagic ${info.stdout} ${info.stderr}`);
  const parms = spawnSync('modinfo', ['-F', 'parm', join(out, 'saio.ko')], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/sbin:/usr/sbin` } });
  assert.match(parms.stdout, /^default_idle_us:/m);
  assert.deepEqual(products(), before, 'no build products in kmod/');

  const again = sh(['sh'], ['build', HEADERS, out]);
  assert.equal(again.code, EXIT.failed);
  assert.match(again.stderr, /is not empty: build into a fresh directory/);
  const nokdir = sh(['sh'], ['build', join(dir, 'no-headers'), join(dir, 'b2')]);
  assert.equal(nokdir.code, EXIT.failed);
  assert.match(nokdir.stderr, /no kbuild tree at .*no-headers \(install the kernel's headers/);
});

for (const [name, shell] of [['dash', ['sh']], ['busybox sh', [busybox ?? 'busybox', 'sh']]] as const) {
  test(`dmesg-since over a saved log (${name}): the lines after the mark; kernel trouble exits 4 and is echoed on stderr`, () => {
    const clean = join(dir, `clean-${name}.log`);
    writeFileSync(clean, '[    1.0] boot\n[    2.0] saio-lab-mark-1-2-3\n[    3.0] saio: loaded\n[    4.0] saio: unloaded\n');
    const ok = sh(shell, ['dmesg-since', 'saio-lab-mark-1-2-3', clean]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '[    3.0] saio: loaded\n[    4.0] saio: unloaded\n');
    assert.equal(ok.stderr, '');

    const bad = join(dir, `bad-${name}.log`);
    writeFileSync(bad, '[ 1.0] WARNING: before the mark\n[ 2.0] saio-lab-mark-9\n[ 3.0] ok\n[ 4.0] BUG: kernel NULL pointer dereference\n[ 5.0] Call Trace:\n[ 6.0] fine\n');
    const r = sh(shell, ['dmesg-since', 'saio-lab-mark-9', bad]);
    assert.equal(r.code, EXIT.trouble);
    assert.equal(r.stdout.split('\n').length, 5, r.stdout);
    assert.equal(r.stderr, '[ 4.0] BUG: kernel NULL pointer dereference\n[ 5.0] Call Trace:\n', 'only the trouble after the mark');

    const lost = sh(shell, ['dmesg-since', 'saio-lab-mark-gone', clean]);
    assert.equal(lost.code, EXIT.noMark);
    assert.match(lost.stderr, /does not hold the mark saio-lab-mark-gone .*the whole log follows/);
    assert.equal(lost.stdout.split('\n').filter(Boolean).length, 4);
  });
}

test('mark and dmesg-since on this host’s own kernel log', (t) => {
  if (process.getuid?.() !== 0) return t.skip('writing /dev/kmsg needs root');
  const mark = sh(['sh'], ['mark']);
  assert.equal(mark.code, 0, mark.stderr);
  const m = mark.stdout.trim();
  assert.match(m, /^saio-lab-mark-\d+-\d+-\d+$/);
  // O_WRONLY without O_CREAT: only the kernel's log device, never a file made in its place.
  const kmsg = openSync('/dev/kmsg', constants.O_WRONLY);
  writeSync(kmsg, `saio-lab module-step test line after ${m}\n`);
  closeSync(kmsg);
  const r = sh(['sh'], ['dmesg-since', m]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`saio-lab module-step test line after ${m}`));
  assert.ok(!r.stdout.includes(`] ${m}`), 'the mark itself is not part of what follows it');
});

test('on this host the step itself says exactly why it cannot load saio.ko, skips, and leaves a record', async (t) => {
  const facts = hostFacts();
  const why = cannotLoadModules(facts);
  if (why === null) return t.skip('this host can load modules: the skip path is covered by the stand-in tests below');
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-host'), params: { default_idle_us: 50 } });
  assert.deepEqual(step.unusable, { status: 'skipped', reason: why });
  const end = await step.end();
  assert.equal(end.problem, null);
  assert.deepEqual(end.artifacts.map((a) => a.name), ['kmod-step.json']);
  const rec = JSON.parse(end.artifacts[0]!.content.toString());
  assert.equal(rec.host_check, why);
  assert.equal(rec.built, false);
  assert.equal(existsSync(join(dir, 'run-host', 'kmod-build')), false, 'nothing built');
});

// ---- the sequence on a module-capable host, with a stand-in script --------------------------

// Made-up facts of a host that could load modules (this one cannot): the version is a stand-in.
const able: HostFacts = { kernel: '7.3.0-1-stand-in', uid: 0, moduleSupport: true, modulesDisabled: false, lockdown: 'none', headers: '/lib/modules/7.3.0-1-stand-in/build' };

/** A stand-in for module-step.sh that logs each call and answers as told per subcommand. */
function standIn(name: string, answers: Partial<Record<'loaded' | 'build' | 'mark' | 'load' | 'unload' | 'dmesg', string>>): { script: string; calls: () => string[] } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const log = join(d, 'calls.log');
  const body = (sub: string, dflt: string) => answers[sub as keyof typeof answers] ?? dflt;
  const text = `#!/bin/sh
echo "$*" >> '${log}'
sub=$1; shift
case $sub in
loaded) ${body('loaded', 'echo "saio is not loaded"; exit 1')} ;;
build) ${body('build', 'mkdir -p "$2" && echo fake-ko > "$2/saio.ko" && echo "built $2/saio.ko"')} ;;
mark) ${body('mark', 'echo saio-lab-mark-42')} ;;
load) ${body('load', 'echo loaded')} ;;
unload) ${body('unload', 'echo unloaded')} ;;
dmesg-since) ${body('dmesg', 'echo "[ 9.0] saio: ready"')} ;;
esac
`;
  const script = join(d, 'module-step.sh');
  writeFileSync(script, text);
  chmodSync(script, 0o755);
  return { script, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

test('a module-capable host: build into the run, mark, insmod with the parameters; after the run rmmod and keep the log', async () => {
  const s = standIn('ok', {});
  const runDir = join(dir, 'run-ok');
  const labels: string[] = [];
  const step = await ModuleStep.begin({ runDir, params: { default_idle_us: 300 }, facts: able, script: s.script, progress: (l) => labels.push(l) });
  assert.equal(step.unusable, null);
  const ko = join(runDir, 'kmod-build', 'saio.ko');
  assert.deepEqual(s.calls(), ['loaded', `build /lib/modules/7.3.0-1-stand-in/build ${join(runDir, 'kmod-build')}`, 'mark', `load ${ko} default_idle_us=300`]);
  assert.deepEqual(labels, ['saio-kmod: building saio.ko for kernel 7.3.0-1-stand-in (once per run)', 'saio-kmod: insmod saio.ko default_idle_us=300']);
  const end = await step.end();
  assert.equal(end.problem, null);
  assert.deepEqual(s.calls().slice(4), ['unload', 'dmesg-since saio-lab-mark-42']);
  assert.deepEqual(end.artifacts.map((a) => `${a.kind}:${a.name}`), ['kmod-build-log:kmod-build.log', 'dmesg:dmesg.txt', 'kmod-step:kmod-step.json']);
  assert.equal(end.artifacts[1]!.content.toString(), '[ 9.0] saio: ready\n');
  const rec = JSON.parse(end.artifacts[2]!.content.toString());
  // sha256 of the stand-in's "fake-ko\n"
  assert.equal(rec.ko_sha256, createHash('sha256').update('fake-ko\n').digest('hex'));
  assert.deepEqual([rec.loaded, rec.unloaded, rec.kernel_log_lines], [true, true, 1]);
  assert.equal(existsSync(join(runDir, 'kmod-build')), false, 'the build directory is removed with the run');
  assert.equal(await step.end(), end, 'ending twice does nothing more');
  assert.equal(s.calls().length, 6);
});

test('saio already loaded: refused before building, with what to do', async () => {
  const s = standIn('loaded', { loaded: 'echo "saio is loaded (/sys/module/saio exists)"; exit 0' });
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-loaded'), params: {}, facts: able, script: s.script });
  assert.equal(step.unusable?.status, 'failed');
  assert.match(step.unusable?.reason ?? '', /^saio is loaded \(\/sys\/module\/saio exists\) before the run: .*does not reuse a module of unknown build and parameters; unload it \(rmmod saio/);
  const end = await step.end();
  assert.deepEqual(s.calls(), ['loaded'], 'no build, no load, and no unload of a module the lab did not load');
  assert.equal(end.problem, null);
});

test('a failed build fails the points with the compiler’s last words, and the whole log is kept', async () => {
  const s = standIn('build', { build: 'echo "saio_main.c:12:1: error: expected ; before }"; echo "module-step: make failed (the lines above say why)" >&2; exit 1' });
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-build'), params: {}, facts: able, script: s.script });
  assert.equal(step.unusable?.status, 'failed');
  assert.match(step.unusable?.reason ?? '', /^building saio\.ko against \/lib\/modules\/7\.3\.0-1-stand-in\/build failed \(kmod-build\.log has it all\): saio_main\.c:12:1: error: expected ; before \} \| make failed/);
  const end = await step.end();
  assert.deepEqual(s.calls().map((c) => c.split(' ')[0]), ['loaded', 'build']);
  assert.deepEqual(end.artifacts.map((a) => a.name), ['kmod-build.log', 'kmod-step.json']);
});

test('a refused insmod fails the points with insmod’s and the kernel’s words; the log since the mark is still kept', async () => {
  const s = standIn('insmod', {
    load: 'echo "module-step: insmod saio.ko default_idle_us=0 failed: Invalid parameters" >&2; echo "module-step: kernel: [ 5.0] saio: default_idle_us=0: must be 1..1000000" >&2; exit 1',
    dmesg: 'echo "[ 5.0] saio: default_idle_us=0: must be 1..1000000"',
  });
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-insmod'), params: { default_idle_us: 0 }, facts: able, script: s.script });
  assert.deepEqual(step.unusable, {
    status: 'failed',
    reason: 'insmod saio.ko default_idle_us=0 failed: insmod saio.ko default_idle_us=0 failed: Invalid parameters | kernel: [ 5.0] saio: default_idle_us=0: must be 1..1000000',
  });
  const end = await step.end();
  assert.deepEqual(s.calls().map((c) => c.split(' ')[0]), ['loaded', 'build', 'mark', 'load', 'dmesg-since'], 'no rmmod of a module that did not load');
  assert.equal(end.problem, null);
  assert.ok(end.artifacts.some((a) => a.name === 'dmesg.txt'));
});

test('kernel trouble in the log while saio was loaded is a problem of the run, quoted', async () => {
  const s = standIn('oops', {
    dmesg: 'echo "[ 7.0] saio: ready"; echo "[ 8.0] BUG: unable to handle page fault"; echo "[ 8.1] Call Trace:"; echo "[ 8.0] BUG: unable to handle page fault" >&2; echo "[ 8.1] Call Trace:" >&2; exit 4',
  });
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-oops'), params: {}, facts: able, script: s.script });
  assert.equal(step.unusable, null);
  const end = await step.end();
  assert.equal(end.problem, 'kernel trouble in the kernel log while saio was loaded (dmesg.txt has every line): [ 8.0] BUG: unable to handle page fault | [ 8.1] Call Trace:');
  assert.match(end.artifacts.find((a) => a.name === 'dmesg.txt')!.content.toString(), /saio: ready\n.*BUG: .*\n.*Call Trace:\n$/);
});

test('an rmmod that keeps failing is a problem of the run, with what to do', async () => {
  const s = standIn('busy', { unload: 'echo "module-step: rmmod saio failed for 10 s (1 users hold it): rmmod: ERROR: Module saio is in use" >&2; exit 1' });
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-busy'), params: {}, facts: able, script: s.script });
  const end = await step.end();
  assert.match(end.problem ?? '', /^rmmod saio after the run failed, saio stays loaded \(unload it by hand\): rmmod saio failed for 10 s \(1 users hold it\)/);
});

test('a step that hangs is stopped at its time limit, with its process group', async () => {
  const s = standIn('hang', { build: 'sleep 30 & wait' });
  const t0 = Date.now();
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-hang'), params: {}, facts: able, script: s.script, timeouts: { build: 500 } });
  assert.ok(Date.now() - t0 < 5000);
  assert.match(step.unusable?.reason ?? '', /failed \(kmod-build\.log has it all\): timed out after 0\.5 s/);
  const r = await runStep(['sh', '-c', 'sleep 30'], { timeoutMs: 200 });
  assert.equal(r.code, null);
});

test('a step cancelled by the run stops at once', async () => {
  const s = standIn('cancel', { build: 'sleep 30' });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const t0 = Date.now();
  const step = await ModuleStep.begin({ runDir: join(dir, 'run-cancel'), params: {}, facts: able, script: s.script, signal: ac.signal });
  assert.ok(Date.now() - t0 < 5000);
  assert.match(step.unusable?.reason ?? '', /cancelled/);
});

test('in a guest: facts asked there, saio.ko built here against the guest kernel headers and placed there, every other call run there; the module state after a point read there', async () => {
  const s = standIn('guest', {});
  const runDir = join(dir, 'run-guest');
  const there: string[] = [];
  const placed: string[] = [];
  const guestFacts: HostFacts = { ...able, kernel: '7.3.0-9-guest', headers: '/usr/src/linux-headers-7.3.0-9-guest' };
  const on = {
    facts: async () => guestFacts,
    run: async (argv: readonly string[]) => {
      there.push(argv.slice(2).join(' '));
      const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    place: async (ko: string) => {
      placed.push(readFileSync(ko, 'utf8'));
      return '/run/saio-lab/runs/r.vm/kmod/saio.ko';
    },
    readTextFiles: async (paths: readonly string[]) =>
      paths.map((p) => ({ '/proc/modules': 'ext4 1 0 - Live 0x0\nsaio 65536 1 - Live 0x0 (OE)\n', '/sys/module/saio/refcnt': '1\n', '/sys/module/saio/initstate': 'live\n', '/sys/module/saio/taint': 'OE\n', '/sys/module/saio/coresize': '65536\n', '/sys/module/saio/parameters/default_idle_us': '300\n' })[p] ?? null),
    listDir: async (p: string) => (p === '/sys/module/saio/parameters' ? ['default_idle_us'] : []),
  };
  const step = await ModuleStep.begin({ runDir, params: { default_idle_us: 300 }, script: s.script, on, hostName: 'vm' });
  assert.equal(step.unusable, null);
  // The stand-in logs every call, here and "there"; only the build was not run through the guest.
  assert.deepEqual(s.calls(), ['loaded', `build /usr/src/linux-headers-7.3.0-9-guest ${join(runDir, 'kmod-build')}`, 'mark', 'load /run/saio-lab/runs/r.vm/kmod/saio.ko default_idle_us=300']);
  assert.deepEqual(placed, ['fake-ko\n']);
  assert.deepEqual(there, ['loaded', 'mark', 'load /run/saio-lab/runs/r.vm/kmod/saio.ko default_idle_us=300']);
  const state = JSON.parse((await step.afterPoint()).content.toString());
  assert.deepEqual([state.host, state.kernel, state.loaded, state.refcnt, state.taint, state.coresize, state.parameters, state.proc_modules], ['vm', '7.3.0-9-guest', true, 1, 'OE', 65536, { default_idle_us: '300' }, 'saio 65536 1 - Live 0x0 (OE)']);
  const end = await step.end();
  assert.equal(end.problem, null);
  assert.deepEqual(there.slice(3), ['unload', 'dmesg-since saio-lab-mark-42']);
  const rec = JSON.parse(end.artifacts.find((a) => a.name === 'kmod-step.json')!.content.toString());
  assert.deepEqual([rec.host, rec.kernel, rec.kdir, rec.loaded, rec.unloaded], ['vm', '7.3.0-9-guest', '/usr/src/linux-headers-7.3.0-9-guest', true, true]);
});

test('in a guest whose kernel cannot load modules, or whose facts cannot be read: skipped or failed with why', async () => {
  const s = standIn('guest-no', {});
  const no = { facts: async (): Promise<HostFacts> => ({ ...able, moduleSupport: false }), run: async () => ({ code: 0, stdout: '', stderr: '' }), place: async () => '', readTextFiles: async () => [], listDir: async () => [] };
  const skipped = await ModuleStep.begin({ runDir: join(dir, 'run-guest-no'), params: {}, script: s.script, on: no, hostName: 'vm' });
  assert.equal(skipped.unusable?.status, 'skipped');
  assert.match(skipped.unusable?.reason ?? '', /no loadable-module support/);
  const gone = { ...no, facts: async (): Promise<HostFacts> => { throw new Error('vm: cannot run sh: the guest\'s QEMU (pid 1) was killed by SIGKILL'); } };
  const failed = await ModuleStep.begin({ runDir: join(dir, 'run-guest-gone'), params: {}, script: s.script, on: gone, hostName: 'vm' });
  assert.equal(failed.unusable?.status, 'failed');
  assert.match(failed.unusable?.reason ?? '', /could not read the kernel's facts: vm: cannot run sh: the guest's QEMU/);
  assert.deepEqual(s.calls(), [], 'nothing built or loaded');
  assert.equal((await failed.end()).problem, null);
});
