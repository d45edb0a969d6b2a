// Expected numbers below were read off the fixture files by hand (see fixtures/README.md for how
// each was captured); byte and rate values printed with a unit are that value times 1000 or 1024^k.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadFromV1, type LoadResultV1 } from '../../legacy/v1';
import { repoRoot } from '../../paths';
import { DriverOutputError } from '../types';
import { startTestNginx, type TestNginx } from './test-nginx';
import { parseWrkText, summaryScriptPath, wholeSeconds, wrkArgv, wrkDriver, type WrkPhase, type WrkTextReport } from './wrk';

const FIXTURE_DIR = join(repoRoot(), 'electron', 'engine', 'drivers', 'wrk', 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURE_DIR, name), 'utf8');

const PORT = 59501;
const url = (path: string): string => `http://127.0.0.1:${PORT}/${path}`;
const NO_ERRORS = { connect: 0, read: 0, write: 0, timeout: 0, status: 0 };

const latency = (min: number, mean: number, stdev: number, max: number, p50: number, p75: number, p90: number, p99: number, p999: number, p9999: number) => ({
  min,
  mean,
  stdev,
  max,
  p50,
  p75,
  p90,
  p99,
  p999,
  p9999,
});

const stats = (mean: number, stdev: number, max: number, within_stdev_pct: number | null) => ({
  mean,
  stdev,
  max,
  within_stdev_pct,
});

interface Fixture {
  file: string;
  text: WrkTextReport;
  /**
   * parse()'s result, as read off the file when results had wrk's own shape (format 1), but for
   * requests and errors: those are the text report's (parse() refuses a file where they differ).
   * parse() must return exactly its conversion to today's LoadResult. Absent for runs without
   * summary.lua, which parse() must refuse.
   */
  json?: Omit<LoadResultV1, 'requests' | 'errors'>;
  /** How the capture command ran beyond what the report's header says (url, threads, connections, -d): runs with summary.lua only. */
  capture?: Omit<WrkPhase, 'url' | 'connections' | 'threads' | 'duration_s'>;
}

/** parse()'s expected result (format 1): the JSON line's numbers with the text report's requests and errors. */
const resultOf = (f: Fixture, json: NonNullable<Fixture['json']>): LoadResultV1 => ({ requests: f.text.requests, errors: f.text.errors, ...json });

/** The phase whose argv reproduces the capture command: the report's header and the capture's options. */
const specOf = (f: Fixture, capture: NonNullable<Fixture['capture']>): WrkPhase => ({
  url: f.text.url,
  connections: f.text.connections,
  threads: f.text.threads,
  duration_s: f.text.test_duration_s,
  ...capture,
});

const FIXTURES: Fixture[] = [
  {
    file: 'plain-keepalive.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(245.67, 301.83, 4510, 95.06),
      thread_requests_per_s: stats(18380, 3940, 30040, 76.19),
      latency_distribution_us: { p50: 199, p75: 264, p90: 348, p99: 1750 },
      requests: 38419,
      duration_s: 1.1,
      bytes: 48559555, // 46.31MB
      errors: NO_ERRORS,
      requests_per_s: 34930.68,
      transfer_bytes_per_s: 44155535, // 42.11MB
    },
  },
  {
    file: 'plain-no-latency.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 1,
      connections: 1,
      latency_us: stats(279.7, 597.06, 10560, 97.05),
      thread_requests_per_s: stats(4920, 890, 6280, 63.64),
      latency_distribution_us: null,
      requests: 5380,
      duration_s: 1.1,
      bytes: 6805258, // 6.49MB
      errors: NO_ERRORS,
      requests_per_s: 4893.08,
      transfer_bytes_per_s: 6186598, // 5.90MB
    },
  },
  {
    file: 'summary-keepalive.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(253.02, 337.92, 4910, 94.97),
      thread_requests_per_s: stats(18870, 4730, 32710, 76.19),
      latency_distribution_us: { p50: 192, p75: 253, p90: 375, p99: 1940 },
      requests: 39375,
      duration_s: 1.1,
      bytes: 49765417, // 47.46MB
      errors: NO_ERRORS,
      requests_per_s: 35801.67,
      transfer_bytes_per_s: 45256540, // 43.16MB
    },
    json: {
      duration_s: 1.099809,
      requests_per_s: 35801.671017422115,
      bytes: 49769820,
      latency_us: latency(23, 253.017, 337.916, 4915, 192, 253, 375, 1943, 3800, 4692),
    },
    capture: { timeout_s: 5, keep_alive: true },
  },
  {
    file: 'verify-ok.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(357.1, 484.74, 5470, 94.1),
      thread_requests_per_s: stats(14220, 4260, 25920, 86.36),
      latency_distribution_us: { p50: 266, p75: 356, p90: 486, p99: 3030 },
      requests: 31091,
      duration_s: 1.1,
      bytes: 39300628, // 37.48MB
      errors: NO_ERRORS,
      requests_per_s: 28263.24,
      transfer_bytes_per_s: 35724984, // 34.07MB
    },
    json: {
      duration_s: 1.100051,
      requests_per_s: 28263.235068192294,
      bytes: 39298884,
      latency_us: latency(22, 357.103, 484.744, 5473, 266, 356, 486, 3028, 4443, 5227),
      verify: { checked: 31091, mismatched: 0, bad_status: 0 },
    },
    capture: {
      timeout_s: 5,
      keep_alive: true,
      verify_body_file: '/tmp/saio-wrk-cap/html/file-1k.bin',
    },
  },
  {
    file: 'verify-mismatch.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(268.89, 356.11, 5800, 95.76),
      thread_requests_per_s: stats(17220, 5230, 34400, 85.71),
      latency_distribution_us: { p50: 210, p75: 299, p90: 390, p99: 2140 },
      requests: 35996,
      duration_s: 1.1,
      bytes: 45497713, // 43.39MB
      errors: NO_ERRORS,
      requests_per_s: 32725.18,
      transfer_bytes_per_s: 41366323, // 39.45MB
    },
    json: {
      duration_s: 1.099948,
      requests_per_s: 32725.183372304873,
      bytes: 45498784,
      latency_us: latency(23, 268.893, 356.108, 5802, 210, 299, 390, 2139, 4073, 5658),
      verify: { checked: 35996, mismatched: 35996, bad_status: 0 },
    },
    capture: {
      timeout_s: 5,
      keep_alive: true,
      verify_body_file: '/tmp/saio-wrk-cap/html/other-1k.bin',
    },
  },
  {
    file: 'status-404.txt',
    text: {
      url: url('missing.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(313.53, 622.28, 9880, 95.48),
      thread_requests_per_s: stats(17840, 4090, 29140, 76.19),
      latency_distribution_us: { p50: 198, p75: 273, p90: 418, p99: 3110 },
      requests: 37303,
      duration_s: 1.1,
      bytes: 11492393, // 10.96MB
      errors: { ...NO_ERRORS, status: 37303 },
      requests_per_s: 33918.6,
      transfer_bytes_per_s: 10443817, // 9.96MB
    },
    json: {
      duration_s: 1.09978,
      requests_per_s: 33918.60190219862,
      bytes: 11489144,
      latency_us: latency(21, 313.526, 622.279, 9882, 198, 273, 418, 3112, 8002, 9647),
    },
    capture: { timeout_s: 5, keep_alive: true },
  },
  {
    file: 'connection-close.txt',
    text: {
      url: url('file-1k.bin'),
      test_duration_s: 1,
      threads: 2,
      connections: 8,
      latency_us: stats(834.87, 930, 10180, 92.71),
      thread_requests_per_s: stats(4490, 838.78, 6880, 76.19),
      latency_distribution_us: { p50: 652, p75: 940, p90: 1490, p99: 5360 },
      requests: 9388,
      duration_s: 1.1,
      bytes: 11817452, // 11.27MB
      errors: NO_ERRORS,
      requests_per_s: 8528.09,
      transfer_bytes_per_s: 10737418, // 10.24MB
    },
    json: {
      duration_s: 1.100833,
      requests_per_s: 8528.087366566955,
      bytes: 11819492,
      latency_us: latency(35, 834.871, 931.495, 10182, 652, 942, 1487, 5360, 9064, 10091),
    },
    capture: { timeout_s: 5, keep_alive: false },
  },
  {
    file: 'large-transfer.txt',
    text: {
      url: url('file-1m.bin'),
      test_duration_s: 2,
      threads: 2,
      connections: 4,
      latency_us: stats(2490, 1020, 9820, 70.29),
      thread_requests_per_s: stats(787.58, 168.56, 1160, 67.5),
      latency_distribution_us: { p50: 2370, p75: 3070, p90: 3790, p99: 5760 },
      requests: 3147,
      duration_s: 2.01,
      bytes: 3307124818, // 3.08GB
      errors: NO_ERRORS,
      requests_per_s: 1563.74,
      transfer_bytes_per_s: 1642824991, // 1.53GB
    },
    json: {
      duration_s: 2.012478,
      requests_per_s: 1563.743802416722,
      bytes: 3302150654,
      latency_us: latency(506, 2494.174, 1016.548, 9816, 2368, 3065, 3786, 5765, 7256, 9816),
    },
    capture: { timeout_s: 5, keep_alive: true },
  },
  {
    file: 'latency-seconds.txt',
    text: {
      url: url('slow/file-64k.bin'),
      test_duration_s: 2,
      threads: 1,
      connections: 8,
      latency_us: stats(1_000_000, 371.99, 1_000_000, 87.5),
      thread_requests_per_s: stats(7, 0, 7, 100),
      latency_distribution_us: { p50: 1_000_000, p75: 1_000_000, p90: 1_000_000, p99: 1_000_000 },
      requests: 16,
      duration_s: 2,
      bytes: 1184891, // 1.13MB
      errors: NO_ERRORS,
      requests_per_s: 7.98,
      transfer_bytes_per_s: 591104, // 577.25KB
    },
    json: {
      duration_s: 2.003902,
      requests_per_s: 7.984422391913377,
      bytes: 1184508,
      latency_us: latency(1000890, 1001263.688, 371.991, 1001636, 1001610, 1001626, 1001632, 1001636, 1001636, 1001636),
    },
    capture: { timeout_s: 5, keep_alive: true },
  },
  {
    file: 'timeouts.txt',
    text: {
      url: url('slow/file-64k.bin'),
      test_duration_s: 2,
      threads: 1,
      connections: 8,
      latency_us: stats(0, 0, 0, null),
      thread_requests_per_s: stats(7, 0, 7, 100),
      latency_distribution_us: { p50: 0, p75: 0, p90: 0, p99: 0 },
      requests: 16,
      duration_s: 2.01,
      bytes: 1321206, // 1.26MB
      errors: { ...NO_ERRORS, timeout: 16 },
      requests_per_s: 7.96,
      transfer_bytes_per_s: 654858, // 639.51KB
    },
    json: {
      duration_s: 2.01045,
      requests_per_s: 7.958417269765475,
      bytes: 1316552,
      latency_us: latency(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    },
    capture: { timeout_s: 1, keep_alive: true },
  },
  {
    file: 'socket-errors.txt',
    text: {
      url: 'http://127.0.0.1:33331/file-1m.bin',
      test_duration_s: 2,
      threads: 2,
      connections: 8,
      latency_us: stats(4540, 1680, 15450, 73.7),
      thread_requests_per_s: stats(807.14, 225.68, 1120, 85.71),
      latency_distribution_us: { p50: 4470, p75: 5240, p90: 6500, p99: 10620 },
      requests: 1692,
      duration_s: 2,
      bytes: 1771674010, // 1.65GB
      errors: { ...NO_ERRORS, read: 13, write: 62545 },
      requests_per_s: 844.11,
      transfer_bytes_per_s: 885323203, // 844.31MB
    },
    json: {
      duration_s: 2.004473,
      requests_per_s: 844.1121431917517,
      bytes: 1774606809,
      latency_us: latency(635, 4537.638, 1682.867, 15452, 4466, 5235, 6503, 10616, 14759, 15452),
    },
    capture: {
      timeout_s: 5,
      keep_alive: true,
    },
  },
];

/** Asserts `fn` throws a DriverOutputError whose message matches and which carries `output`. */
function assertOutputError(fn: () => unknown, message: RegExp, output: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DriverOutputError, `expected DriverOutputError, got ${String(e)}`);
    assert.match(e.message, message);
    assert.equal(e.output, output);
    return true;
  });
}

describe('wrk fixtures', () => {
  test('every fixture file is covered', () => {
    const files = readdirSync(FIXTURE_DIR)
      .filter((f) => f.endsWith('.txt'))
      .sort();
    assert.deepEqual(files, FIXTURES.map((f) => f.file).sort());
  });

  for (const f of FIXTURES) {
    describe(f.file, () => {
      test('parseWrkText reads every number of the text report', () => {
        assert.deepEqual(parseWrkText(fixture(f.file)), f.text);
      });

      if (f.json) {
        const expected = resultOf(f, f.json);
        test('parse returns the JSON line as a LoadResult', () => {
          assert.deepEqual(wrkDriver.parse(fixture(f.file)), loadFromV1(expected));
        });
      } else {
        test('parse refuses a run made without summary.lua', () => {
          const out = fixture(f.file);
          assertOutputError(() => wrkDriver.parse(out), /no "SAIO-WRK-JSON" line/, out);
        });
      }

      if (f.capture) {
        const spec = specOf(f, f.capture);
        test('argv reproduces the capture command', () => {
          const expected = [
            'wrk',
            '-t',
            String(f.text.threads),
            '-c',
            String(f.text.connections),
            '-d',
            `${f.text.test_duration_s}s`,
            '--timeout',
            `${spec.timeout_s}s`,
            '--latency',
            '-s',
            summaryScriptPath(),
            ...(spec.keep_alive ? [] : ['-H', 'Connection: close']),
            f.text.url,
            ...(spec.verify_body_file ? ['--', spec.verify_body_file] : []),
          ];
          assert.deepEqual(wrkArgv(spec), expected);
        });
      }
    });
  }
});

describe('wrk parse errors', () => {
  const full = fixture('summary-keepalive.txt');
  const lines = full.split('\n');
  const cutAt = (prefix: string): string => {
    const i = lines.findIndex((l) => l.trimStart().startsWith(prefix));
    assert.ok(i > 0, `fixture has a line starting with ${prefix}`);
    return lines.slice(0, i).join('\n') + '\n';
  };

  test('empty output', () => {
    assertOutputError(() => wrkDriver.parse(''), /wrk printed nothing on stdout/, '');
    assertOutputError(() => parseWrkText('\n'), /wrk printed nothing on stdout/, '\n');
  });

  test('output cut before the totals', () => {
    const out = cutAt('39375 requests in');
    assertOutputError(() => wrkDriver.parse(out), /no "<N> requests in <T>, <B> read" line/, out);
  });

  test('output cut inside the latency distribution', () => {
    const out = cutAt('90%');
    assertOutputError(() => parseWrkText(out), /no "<N> requests in <T>, <B> read" line/, out);
  });

  test('latency distribution with a row missing', () => {
    const out = lines.filter((l) => !l.trimStart().startsWith('90%')).join('\n');
    assertOutputError(() => parseWrkText(out), /Latency Distribution has no readable 90% row \(got "99% {4}1.94ms"\)/, out);
  });

  test('output cut before Transfer/sec', () => {
    const out = cutAt('Transfer/sec:');
    assertOutputError(() => wrkDriver.parse(out), /no "Transfer\/sec:" line/, out);
  });

  test('output cut inside the JSON line', () => {
    const out = full.slice(0, full.indexOf('"p9999"'));
    assertOutputError(() => wrkDriver.parse(out), /SAIO-WRK-JSON" line is not valid JSON/, out);
  });

  test('text report without the JSON line', () => {
    const out = cutAt('SAIO-WRK-JSON');
    assertOutputError(() => wrkDriver.parse(out), /no "SAIO-WRK-JSON" line: wrk did not run summary.lua/, out);
    assert.equal(parseWrkText(out).requests, 39375);
  });

  test('two JSON lines', () => {
    const json = lines.find((l) => l.startsWith('SAIO-WRK-JSON')) ?? '';
    const out = `${full}${json}\n`;
    assertOutputError(() => wrkDriver.parse(out), /2 "SAIO-WRK-JSON" lines, expected one/, out);
  });

  test('JSON line with a missing field', () => {
    const out = full.replace(',"p9999":4692', '');
    assertOutputError(() => wrkDriver.parse(out), /unexpected content: latency\.p9999/, out);
  });

  test('text and JSON disagree on the request count', () => {
    const out = full.replace('{"requests":39375,', '{"requests":39376,');
    assertOutputError(() => wrkDriver.parse(out), /disagree on requests: 39375 vs 39376/, out);
  });

  test('text and JSON disagree on an error count', () => {
    const out = fixture('status-404.txt').replace('"status":37303', '"status":37302');
    assertOutputError(() => wrkDriver.parse(out), /disagree on non-2xx\/3xx responses: 37303 vs 37302/, out);
  });

  test('unreadable value in the text report', () => {
    const out = full.replace('253.02us', '253.02xs');
    assertOutputError(() => wrkDriver.parse(out), /cannot read "253.02xs" in wrk's "Latency" thread stats/, out);
  });
});

describe('wrk version', () => {
  test('parses the version wrk -v prints', () => {
    const out = 'wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\nUsage: wrk <options> <url>\n';
    assert.equal(wrkDriver.parseVersion(out), 'debian/4.1.0-3+b2');
    assert.equal(wrkDriver.parseVersion('wrk 4.2.0 [epoll] Copyright (C) 2012 Will Glozer\n'), '4.2.0');
    assert.deepEqual(wrkDriver.versionArgv(), ['wrk', '-v']);
  });

  test('refuses output without a version line', () => {
    assertOutputError(() => wrkDriver.parseVersion('bash: wrk: command not found\n'), /no "wrk <version>" line/, 'bash: wrk: command not found\n');
  });
});

describe('wrk argv', () => {
  const base: WrkPhase = { url: url('f'), connections: 4, threads: 2, duration_s: 1, timeout_s: 5, keep_alive: true };
  const valueAfter = (argv: string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];

  test('summary.lua is an absolute path to the script in the source tree', () => {
    const script = valueAfter(wrkArgv(base), '-s') ?? '';
    assert.ok(isAbsolute(script));
    assert.ok(script.endsWith(join('electron', 'engine', 'drivers', 'wrk', 'summary.lua')));
    assert.ok(existsSync(script));
  });

  test('threads are clamped to connections', () => {
    const argv = wrkArgv({ ...base, connections: 3, threads: 8 });
    assert.equal(valueAfter(argv, '-t'), '3');
    assert.equal(valueAfter(argv, '-c'), '3');
  });

  test('durations and timeouts go out as whole seconds, rounded up', () => {
    const argv = wrkArgv({ ...base, duration_s: 0.2, timeout_s: 1.5 });
    assert.equal(valueAfter(argv, '-d'), '1s');
    assert.equal(valueAfter(argv, '--timeout'), '2s');
    assert.equal(valueAfter(wrkArgv({ ...base, duration_s: 30 }), '-d'), '30s');
    assert.deepEqual([0.1, 1, 1.0000000001, 1.2, 2.5, 60].map(wholeSeconds), [1, 1, 1, 2, 3, 60]);
  });

  test('nonsense counts are refused', () => {
    assert.throws(() => wrkArgv({ ...base, connections: 0 }), /connections must be a positive integer/);
    assert.throws(() => wrkArgv({ ...base, threads: 1.5 }), /threads must be a positive integer/);
    assert.throws(() => wrkArgv({ ...base, duration_s: Number.NaN }), /duration_s must be a positive number/);
  });
});

describe('wrk itself (live)', () => {
  const execFileAsync = promisify(execFile);
  let nginx: TestNginx | undefined;
  let scratch = '';
  const body = randomBytes(1024);

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'saio-wrk-test-'));
    nginx = await startTestNginx({ 'file-1k.bin': body });
  });

  after(async () => {
    await nginx?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const runWrk = async (spec: WrkPhase): Promise<string> => {
    const [program, ...args] = wrkArgv(spec);
    const { stdout } = await execFileAsync(program ?? 'wrk', args, { timeout: (spec.duration_s + 15) * 1000 });
    return stdout;
  };

  test('a 1 s verified run: every body checked and equal to the served file', async () => {
    assert.ok(nginx);
    const expectedFile = join(scratch, 'expected.bin');
    await writeFile(expectedFile, body);
    const spec: WrkPhase = {
      url: nginx.url('file-1k.bin'),
      connections: 4,
      threads: 2,
      duration_s: 0.5, // rounded up to wrk's "-d 1s"
      timeout_s: 5,
      keep_alive: true,
      verify_body_file: expectedFile,
    };
    const result = wrkDriver.parse(await runWrk(spec));
    assert.ok(result.requests > 0, 'some requests completed');
    assert.ok(result.duration_s >= 1 && result.duration_s < 3, `duration ${result.duration_s}`);
    assert.ok(result.verified !== null && result.verified > 0, 'verify counters present');
    assert.equal(result.verified, result.requests);
    assert.equal(result.mismatched, 0);
    assert.deepEqual(result.errors, NO_ERRORS);
  });

  // Why argv rounds durations up to whole seconds: wrk 4.1 refuses anything else.
  test('wrk accepts -d only as whole seconds', async () => {
    assert.ok(nginx);
    for (const duration of ['1.5s', '1500ms', '0s']) {
      await assert.rejects(
        execFileAsync('wrk', ['-t', '1', '-c', '1', '-d', duration, nginx.url('file-1k.bin')], { timeout: 10_000 }),
        (e: { code?: number; stdout?: string }) => e.code === 1 && /^Usage: wrk/.test(e.stdout ?? ''),
        `-d ${duration} is a usage error`,
      );
    }
  });

  test('without an expected file, summary.lua reports no verify counters', async () => {
    assert.ok(nginx);
    const spec: WrkPhase = { url: nginx.url('file-1k.bin'), connections: 2, threads: 1, duration_s: 1, timeout_s: 5, keep_alive: false };
    const result = wrkDriver.parse(await runWrk(spec));
    assert.ok(result.requests > 0);
    assert.equal(result.verified, null);
    assert.equal(result.mismatched, 0);
  });
});
