// A point's CPU is read on the host each role ran on. The remote hosts here are scripted: their
// CPU reader (hosts/cpu.ts) streams given /proc readings in its own format, with the host's
// uptime, every 50 ms. The process group they report is a busy process group on THIS machine too,
// with the same number: reading the lab's own /proc for a remote server (what the runner did
// before) counts the local burner, not the server; reading srv counts exactly what srv said, in
// srv's ticks, between the readings at the window's start and end. Local groups are still read
// from this machine's /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostCpuReader } from '../hosts/cpu';
import type { Host, HostProcess, SpawnOptions } from '../hosts/types';
import { PointCpuWindow } from './point-cpu';
import { parseStat } from './procfs';

const dir = mkdtempSync(join(tmpdir(), 'saio-point-cpu-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** utime + stime of a process (its /proc line counts every thread). */
const ticksOf = (pid: number) => {
  const st = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return st.utime + st.stime;
};

/** A /proc/PID/stat line as the kernel writes it (fields 3 to 52; the ones CPU accounting reads set). */
function statLine(id: number, comm: string, pgrp: number, utime: number, stime: number, starttime = 1000): string {
  const f = Array.from({ length: 50 }, () => '0');
  f[0] = 'S';
  f[4 - 3] = '1';
  f[5 - 3] = String(pgrp);
  f[14 - 3] = String(utime);
  f[15 - 3] = String(stime);
  f[22 - 3] = String(starttime);
  return `${id} (${comm}) ${f.join(' ')}`;
}

interface Proc {
  pid: number;
  /** The process's own line (its threads' time included) and its threads' lines. */
  line: string;
  threads: { tid: number; line: string }[];
}

/**
 * A host whose CPU reader streams, every 50 ms, a reading of what `now()` says its processes are,
 * with an uptime that advances with this machine's clock (the host's clock agrees with ours).
 */
function scriptedHost(name: string, now: () => Proc[]): Host & { readers: number } {
  const t0 = Date.now();
  const host = {
    name,
    kind: 'ssh',
    address: `ssh://${name}`,
    runDir: `/run/${name}`,
    readers: 0,
    async open(): Promise<void> {},
    async spawn(o: SpawnOptions): Promise<HostProcess> {
      host.readers++;
      assert.match(o.argv[2] as string, new RegExp(`procs='/run/${name}/procs'`), "it follows the run's pid files there");
      let running = true;
      let ended!: () => void;
      const exited = new Promise<{ code: number; signal: null }>((r) => (ended = () => ((running = false), r({ code: 0, signal: null }))));
      const say = (data: string) => o.onOutput?.({ stream: 'stdout', role: o.role, data });
      const uptime = () => (50 + (Date.now() - t0) / 1000).toFixed(2);
      say(`A ${BigInt(t0) * 1_000_000n} 50.00 50.00\n`);
      const timer = setInterval(() => {
        const r = now();
        say([`/proc/uptime:${uptime()} 90.00`, ...r.flatMap((p) => [`/proc/${p.pid}/stat:${p.line}`, ...p.threads.map((t) => `/proc/${p.pid}/task/${t.tid}/stat:${t.line}`)]), 'E', ''].join('\n'));
      }, 50);
      const stop = async () => {
        clearInterval(timer);
        ended();
        return { code: 0, signal: null, forced: false };
      };
      return {
        role: o.role,
        argv: o.argv,
        pid: 4242,
        startTicks: '1',
        exited,
        get running() {
          return running;
        },
        stdout: '',
        signal: async () => {},
        stop,
      };
    },
  };
  return host as unknown as Host & { readers: number };
}

/** nginx (master idle, one worker with its SQPOLL thread) in group `pgrp`: the worker's and SQPOLL's ticks given. */
function nginxOn(pgrp: number, worker: number, sqp: number): Proc[] {
  return [
    { pid: pgrp, line: statLine(pgrp, 'nginx', pgrp, 5, 5), threads: [{ tid: pgrp, line: statLine(pgrp, 'nginx', pgrp, 5, 5) }] },
    // The worker process's line counts its threads (SQPOLL included).
    {
      pid: pgrp + 1,
      line: statLine(pgrp + 1, 'nginx', pgrp, worker, sqp),
      threads: [
        { tid: pgrp + 1, line: statLine(pgrp + 1, 'nginx', pgrp, worker, 0) },
        { tid: pgrp + 7, line: statLine(pgrp + 7, `iou-sqp-${pgrp + 1}`, pgrp, 0, sqp) },
      ],
    },
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a remote server's CPU comes from its host's readings, not from a process of the same number here; its generator's from the generator's host", { timeout: 30_000 }, async () => {
  // A local process group that burns CPU the whole time: what reading this machine would count.
  const burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end);'], { detached: true, stdio: 'ignore' });
  const pgrp = burner.pid as number;
  let phase: 'before' | 'during' | 'after' = 'before';
  // srv's nginx has the burner's number there: over the window its worker used 0.80 s and SQPOLL 0.30 s.
  const srv = scriptedHost('srv', () => (phase === 'before' ? nginxOn(pgrp, 100, 40) : nginxOn(pgrp, 180, 70)));
  // gen1's saio-load has the same pid as srv's nginx master (two kernels, one number): 0.25 s, then it ends.
  const gen = (u: number): Proc[] => [{ pid: pgrp, line: statLine(pgrp, 'saio-load', pgrp, u, 0), threads: [{ tid: pgrp, line: statLine(pgrp, 'saio-load', pgrp, u, 0) }] }];
  const gen1 = scriptedHost('gen1', () => (phase === 'before' ? gen(10) : phase === 'during' ? gen(35) : []));
  const srvReader = HostCpuReader.start(srv, { dir });
  const gen1Reader = HostCpuReader.start(gen1, { dir });
  try {
    await sleep(200);
    const window = new PointCpuWindow({ windowMs: 400 });
    const end = window.count(
      [
        { pgrp, role: 'server', reader: srvReader },
        { pgrp, role: 'loadgen', reader: gen1Reader },
      ],
      Date.now(),
    );
    await sleep(200);
    phase = 'during';
    await sleep(200);
    phase = 'after'; // gen1's generator has ended (its last reading stands); srv's nginx goes on
    await sleep(150);
    await end();
    assert.equal(window.problem, null);
    const cpu = window.result();
    assert.ok(cpu);
    assert.ok(Math.abs(cpu.by_class.server.total_s - 0.8) < 1e-9, `server threads ${cpu.by_class.server.total_s} s: srv said 0.80 s (this machine's /proc would give the local burner's)`);
    assert.ok(Math.abs(cpu.by_class.sqpoll.total_s - 0.3) < 1e-9, `sqpoll ${cpu.by_class.sqpoll.total_s} s`);
    assert.ok(Math.abs(cpu.server_s - 1.1) < 1e-9, `server side ${cpu.server_s} s`);
    assert.equal(cpu.unattributed_s.server, 0);
    assert.deepEqual([srv.readers, gen1.readers], [1, 1], 'one reader on each host for the whole run');
    assert.deepEqual(
      cpu.threads.filter((t) => t.class !== 'loadgen').map((t) => `${t.host} ${t.comm} ${t.tid} ${t.total_s.toFixed(2)}`),
      [`srv nginx ${pgrp + 1} 0.80`, `srv iou-sqp-${pgrp + 1} ${pgrp + 7} 0.30`, `srv nginx ${pgrp} 0.00`],
    );
    // Each thread names its host; the same pid on two hosts is two threads.
    assert.ok(
      cpu.threads.some((t) => t.host === 'gen1' && t.comm === 'saio-load' && t.tid === pgrp),
      JSON.stringify(cpu.threads),
    );
    assert.ok(Math.abs(cpu.loadgen_s - 0.25) < 1e-9, `gen1's generator: ${cpu.loadgen_s} s`);
  } finally {
    await srvReader.close();
    await gen1Reader.close();
    try {
      process.kill(-pgrp, 'SIGKILL');
    } catch {
      // it ended by itself
    }
  }
});

test(
  "a generator that ends keeps its last reading; a local server is read from this machine's /proc; a group no reading saw leaves the point without CPU, saying why",
  { timeout: 30_000 },
  async () => {
    const burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end);'], { detached: true, stdio: 'ignore' });
    const pgrp = burner.pid as number;
    let used = 10;
    let alive = true;
    const gen = (): Proc[] => (alive ? [{ pid: 77, line: statLine(77, 'saio-load', 77, used, 0), threads: [{ tid: 77, line: statLine(77, 'saio-load', 77, used, 0) }] }] : []);
    const gen1 = scriptedHost('gen1', gen);
    const gen1Reader = HostCpuReader.start(gen1, { dir });
    try {
      await sleep(200);
      const window = new PointCpuWindow({ windowMs: 600 });
      const before = ticksOf(pgrp);
      const end = window.count(
        [
          { pgrp, role: 'server', reader: null },
          { pgrp: 77, role: 'loadgen', reader: gen1Reader },
        ],
        Date.now(),
      );
      await sleep(200);
      used = 35; // 0.25 s of the generator's, read at least once …
      await sleep(200);
      alive = false; // … before it ends
      await sleep(200);
      // Read right before end(): it stops the local count at once, then waits for gen1's
      // reader, and the burner burns on meanwhile (a read after end() came 50 ms later once,
      // on a loaded machine: 0.66 s against the window's 0.61).
      const after = ticksOf(pgrp);
      await end();
      const burnt = (after - before) / 100;
      const cpu = window.result();
      assert.ok(cpu, window.problem ?? '');
      assert.ok(cpu.server_s > 0.05 && Math.abs(cpu.server_s - burnt) <= 0.05, `the local burner was counted: ${cpu.server_s} s, its /proc says ${burnt} s`);
      assert.ok(
        cpu.threads.filter((t) => t.class === 'server').every((t) => t.host === undefined),
        'local threads name no host',
      );
      assert.ok(Math.abs(cpu.loadgen_s - 0.25) < 1e-9, `gen1's generator: ${cpu.loadgen_s} s`);

      // A group no reading there had: no numbers, and the problem names the host and the group.
      const w2 = new PointCpuWindow({ windowMs: 400 });
      const end2 = w2.count([{ pgrp: 4242, role: 'server', reader: gen1Reader }], Date.now());
      await sleep(200);
      await end2();
      assert.equal(w2.result(), null);
      assert.equal(w2.problem, 'CPU not measured: gen1: process group 4242 (server) was not seen there in the measured window: nothing to account');

      // The generator ended before its window began.
      const w3 = new PointCpuWindow({ windowMs: 400 });
      await w3.count([{ pgrp, role: 'server', reader: null }], Date.now() + 60_000)();
      assert.equal(w3.result(), null);
      assert.equal(w3.problem, 'CPU not measured: the load generator ended before its measured phase began');
    } finally {
      await gen1Reader.close();
      try {
        process.kill(-pgrp, 'SIGKILL');
      } catch {
        // it ended by itself
      }
    }
  },
);
