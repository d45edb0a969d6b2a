// verdict(): when a point's numbers can be trusted, from the generator's checks and the after-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AfterCheck, LoadResult } from '../model';
import { handshakeSeconds, setupWarning, verdict } from './verification';

function load(over: Partial<LoadResult> = {}): LoadResult {
  return {
    driver: 'wrk',
    loop: 'closed',
    duration_s: 1,
    requests: 1000,
    requests_per_s: 1000,
    offered_per_s: null,
    bytes: 1 << 20,
    errors: {},
    verified: 1000,
    mismatched: 0,
    mismatches: {},
    latency_us: null,
    service_us: null,
    schedule_lag_us: null,
    cpu_s: null,
    histogram: null,
    warnings: [],
    ...over,
  };
}
const after: AfterCheck = { check: 'GET /1k', expected: '1024 bytes', found: '1024 bytes', ok: true };

test('a point whose checked responses were right and whose after-check passed is verified', () => {
  const v = verdict('http', [load()], load(), after);
  assert.equal(v.verified, true, v.why.join('; '));
  assert.equal(v.verification.responses_checked, 1000);
});

test('no request completed in the measured window: not verified, even when the warm-up had right responses', () => {
  // The warm-up invocation checked responses; the measured one completed none (a stalled server,
  // or a machine too busy to run the generator): its requests/s of 0 must not pass as a result.
  const warm = load({ requests: 500, verified: 500 });
  const measured = load({ requests: 0, requests_per_s: 0, bytes: 0, verified: 0 });
  const v = verdict('http', [warm, measured], measured, after);
  assert.equal(v.verified, false);
  assert.match(v.why.join('; '), /no request completed in the measured window/);
});

test('open loop with nothing completed says the offered rate was not achieved', () => {
  const measured = load({ loop: 'open', requests: 0, requests_per_s: 0, offered_per_s: 5000, verified: 0 });
  const v = verdict('http', [measured], measured, after);
  assert.equal(v.verified, false);
  assert.match(v.why.join('; '), /offered 5000\/s: the load was not achieved/);
});

test('wrong responses, protocol errors and a failed after-check each say so', () => {
  const bad = load({ verified: 990, mismatched: 10, mismatches: { body: 10 }, errors: { status: 3, read: 2 } });
  const v = verdict('http', [bad], bad, { ...after, found: null, ok: false });
  assert.equal(v.verified, false);
  const why = v.why.join('; ');
  assert.match(why, /GET \/1k: expected 1024 bytes, found \(no answer\)/);
  assert.match(why, /10 of 1000 checked responses were wrong \(10 body\)/);
  assert.match(why, /3 responses were protocol errors \(not 2xx\)/);
  assert.equal(v.errors, 2 + 3 + 10);
});

test('over TLS, nothing completed because the handshakes filled the window: the failure says so, with the numbers', () => {
  // Measured in a TCG guest (2026-12-06): one handshake 270 ms, so wrk's 10 new connections
  // needed about 2.7 s of a 3 s window before their first 100 KiB response.
  const measured = load({ requests: 0, requests_per_s: 0, bytes: 0, verified: 0 });
  const setup = { connections: 10, workers: 1, handshake_ms: 270, window_s: 3 };
  const v = verdict('http', [measured], measured, after, setup);
  assert.equal(v.verified, false, 'a point with no request still fails');
  assert.match(
    v.why.join('; '),
    /^no request completed in the measured window \(the generator opened its 10 connections anew for the 3 s window, each a full TLS handshake; one took 270 ms from the lab just before \(the server's share: the generator's own crypto adds to it\), so the handshakes alone need at least 2\.7 s \(10 on 1 server worker, one at a time\): lengthen duration_s or lower connections\)$/,
  );
});

test('handshakes that take a large share of the window are a warning; a small share is not', () => {
  assert.match(setupWarning({ connections: 4, workers: 1, handshake_ms: 300, window_s: 4 }) ?? '', /^TLS handshakes take at least 30% of the measured window: .*1\.2 s.*requests\/s counts them/);
  assert.equal(setupWarning({ connections: 4, workers: 1, handshake_ms: 300, window_s: 10 }), null);
  // Two workers answer two handshakes at a time.
  assert.equal(handshakeSeconds({ connections: 10, workers: 2, handshake_ms: 300, window_s: 10 }), 1.5);
  assert.equal(setupWarning(undefined), null);
});
