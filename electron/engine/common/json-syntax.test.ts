import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonSyntaxError } from './json-syntax';

test('JSON gives no error; each kind of mistake gives its token, line, column and words', () => {
  assert.equal(jsonSyntaxError('{"a": [1, 2], "b": {"c": null}}'), null);
  const cases: [string, number, string][] = [
    ['{"a": [1, 2,, 3]}', 12, 'value expected'],
    ['[1 2]', 3, 'comma expected'],
    ['{"a" 1}', 5, 'colon expected'],
    ['{"a": 1,}', 8, 'property name expected'],
    ['{"a": 1} // note', 9, 'invalid comment token'],
    ['', 0, 'value expected'],
  ];
  for (const [text, offset, problem] of cases) {
    const e = jsonSyntaxError(text);
    assert.ok(e, text);
    assert.equal(e.offset, offset, text);
    assert.equal(e.problem, problem, text);
  }
  const e = jsonSyntaxError('{\n  "a": 1,\n  "b": oops\n}')!;
  assert.deepEqual([e.line, e.column], [3, 8]);
  assert.equal(e.message, 'line 3, column 8 (near "oops\\n}"): invalid symbol');
});
