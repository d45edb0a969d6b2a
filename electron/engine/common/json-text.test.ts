import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../paths';
import { jsonText } from './json-text';

test('parses back to exactly what JSON.stringify writes; flat arrays on one line, objects indented', () => {
  const values: unknown[] = [
    null,
    1.5,
    'a "quoted" \\u2028 string',
    [],
    {},
    {
      a: undefined,
      b: [1, null, 'x'],
      c: [
        [1, 2],
        [3, 4],
      ],
      d: [{ e: [] }, { f: { g: true } }],
      h: -0,
    },
    JSON.parse(readFileSync(join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures', 'captured-closed-http.json'), 'utf8')),
  ];
  for (const v of values) assert.equal(JSON.stringify(JSON.parse(jsonText(v))), JSON.stringify(v));
  assert.equal(jsonText({ a: [1, 2], b: { c: 'd' } }), '{\n  "a": [1,2],\n  "b": {\n    "c": "d"\n  }\n}\n');
  assert.equal(
    jsonText({
      counts: [
        [1, 2],
        [3, 4],
      ],
    }),
    '{\n  "counts": [[1,2],[3,4]]\n}\n',
    "a histogram's [index, count] pairs: one line",
  );
  assert.equal(jsonText([{ a: 1 }]), '[\n  {\n    "a": 1\n  }\n]\n');
  const doc = JSON.parse(readFileSync(join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures', 'captured-closed-http.json'), 'utf8'));
  const lines = jsonText(doc).split('\n').length;
  assert.ok(lines < 200 && jsonText(doc).length < 1.1 * JSON.stringify(doc).length, `${lines} lines`);
});
