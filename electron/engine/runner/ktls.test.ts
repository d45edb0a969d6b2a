// kTLS bookkeeping: /proc/net/tls_stat read as counters, and a point where kTLS was asked for
// marked when the kernel did not encrypt (the counters did not grow, or the kernel has none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ktlsVerdict, parseTlsStat } from './ktls';

const STAT = (txsw: number, curr: number, errors = 0) =>
  `TlsCurrTxSw                     \t${curr}\nTlsCurrRxSw                     \t0\nTlsCurrTxDevice                 \t0\nTlsCurrRxDevice                 \t0\nTlsTxSw                         \t${txsw}\nTlsRxSw                         \t0\nTlsTxDevice                     \t0\nTlsRxDevice                     \t0\nTlsDecryptError                 \t${errors}\nTlsRxDeviceResync               \t0\n`;

test('tls_stat: every counter by name', () => {
  const s = parseTlsStat(STAT(12, 3));
  assert.equal(s.TlsTxSw, 12);
  assert.equal(s.TlsCurrTxSw, 3);
  assert.equal(Object.keys(s).length, 10);
});

test('kTLS used: TlsTxSw grew; not used: it did not (errors named), or the kernel has no tls_stat', () => {
  const used = ktlsVerdict(parseTlsStat(STAT(2, 0)), parseTlsStat(STAT(14, 1)));
  assert.equal(used.warning, null);
  assert.equal(used.delta?.TlsTxSw, 12);
  const unused = ktlsVerdict(parseTlsStat(STAT(2, 0)), parseTlsStat(STAT(2, 0, 3)));
  assert.match(unused.warning ?? '', /^kTLS was asked for but not used: TlsTxSw and TlsTxDevice did not grow during the point \(TlsDecryptError \+3\)$/);
  assert.match(ktlsVerdict(null, null).warning ?? '', /no \/proc\/net\/tls_stat/);
});
