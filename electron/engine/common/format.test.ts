import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, formatBytes, formatCpuList, formatLatencyUs, formatRate, formatSeconds, jsonForScript } from './format';

test('jsonForScript leaves no "<" (so no </script or <!--) and parses back to the same value', () => {
  const value = { reason: '</script><script>alert(1)</script> <!-- x', sep: '\u2028\u2029' };
  const text = jsonForScript(value);
  assert.ok(!text.includes('<'));
  assert.ok(text.includes('\\u003c/script>'));
  assert.deepEqual(JSON.parse(text), value);
});

test('escapeHtml covers text and both attribute quotes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('numbers read well: thousands separators, latency units, bytes, CPU ranges', () => {
  assert.equal(formatRate(1234567.6), '1,234,568');
  assert.equal(formatRate(null), '—');
  assert.equal(formatLatencyUs(4.25), '4.3 µs');
  assert.equal(formatLatencyUs(850.4), '850 µs');
  assert.equal(formatLatencyUs(1250), '1.25 ms');
  assert.equal(formatLatencyUs(45_300), '45.3 ms');
  assert.equal(formatLatencyUs(2_100_000), '2.10 s');
  assert.equal(formatLatencyUs(Number.NaN), '—');
  assert.equal(formatBytes(4096), '4 KiB');
  assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes(100), '100 B');
  assert.equal(formatSeconds(0.5), '0.5 s');
  assert.equal(formatCpuList([3, 0, 1, 2, 6, 6]), '0-3, 6');
  assert.equal(formatCpuList([5]), '5');
  assert.equal(formatCpuList([]), 'none');
});
