// What a reader needs to interpret a run's numbers: kernel, CPUs, tool versions, commit.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import type { EnvironmentSnapshot } from '../model';
import { repoRoot } from '../paths';

function run(argv: readonly string[], cwd?: string): Promise<{ ok: boolean; out: string; missing: boolean }> {
  const [program, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(program, args, { cwd, timeout: 10_000 }, (err, stdout, stderr) => {
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ ok: !err, out: `${stdout}${stderr}`, missing });
    });
  });
}

function readTrim(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

export async function toolVersion(argv: readonly string[], parse: (out: string) => string): Promise<string> {
  const r = await run(argv);
  if (r.missing) throw new Error(`"${argv[0]}" is not installed or not on PATH`);
  // Some tools (wrk -v) print their version and exit non-zero: trust the parser, not the status.
  return parse(r.out);
}

export async function gitState(): Promise<{ commit: string | null; dirty: boolean | null }> {
  const root = repoRoot();
  const head = await run(['git', 'rev-parse', 'HEAD'], root);
  if (!head.ok) return { commit: null, dirty: null };
  const status = await run(['git', 'status', '--porcelain', '--untracked-files=no'], root);
  return { commit: head.out.trim(), dirty: status.ok ? status.out.trim() !== '' : null };
}

function vulnerabilities(): Record<string, string> {
  const dir = '/sys/devices/system/cpu/vulnerabilities';
  const out: Record<string, string> = {};
  try {
    for (const f of readdirSync(dir)) out[`vulnerability.${f}`] = readTrim(`${dir}/${f}`);
  } catch {
    // not exposed in this environment
  }
  return out;
}

export async function captureEnvironment(tools: { server: string; serverVersion: string; driver: string; driverVersion: string }): Promise<EnvironmentSnapshot> {
  const git = await gitState();
  const cpuinfo = readTrim('/proc/cpuinfo');
  const selfStatus = readTrim('/proc/self/status');
  const governor = readTrim('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor');
  const osRelease = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readTrim('/etc/os-release'))?.[1] ?? osType();
  return {
    captured_at: new Date().toISOString(),
    kernel: release(),
    kernel_cmdline: readTrim('/proc/cmdline'),
    os: osRelease,
    cpu_model: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memory_bytes: totalmem(),
    node: process.version,
    git_commit: git.commit,
    git_dirty: git.dirty,
    server: tools.server,
    server_version: tools.serverVersion,
    driver: tools.driver,
    driver_version: tools.driverVersion,
    extra: {
      lab_cpus_allowed: /^Cpus_allowed_list:\s*(.*)$/m.exec(selfStatus)?.[1] ?? '',
      loadavg_at_start: readTrim('/proc/loadavg'),
      cpufreq_governor: governor || 'not exposed',
      ...vulnerabilities(),
    },
  };
}
