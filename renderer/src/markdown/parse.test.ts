import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInline, parseMarkdown } from './parse';

test('markdown: blocks and inline marks', () => {
  const b = parseMarkdown('# Title\n\nSome **bold** and `code`.\n\n- one\n- two\n\n```\nx < y\n```');
  assert.deepEqual(b.map((x) => x.t), ['heading', 'paragraph', 'list', 'code']);
  assert.deepEqual(parseInline('a **b** *c*'), [
    { t: 'text', text: 'a ' },
    { t: 'strong', children: [{ t: 'text', text: 'b' }] },
    { t: 'text', text: ' ' },
    { t: 'em', children: [{ t: 'text', text: 'c' }] },
  ]);
});

test('markdown: raw HTML stays text and only http(s)/mailto links become links', () => {
  const html = parseMarkdown('<script>alert(1)</script> <img src=x onerror=alert(1)>');
  assert.deepEqual(html, [{ t: 'paragraph', children: [{ t: 'text', text: '<script>alert(1)</script> <img src=x onerror=alert(1)>' }] }]);
  const bad = parseInline('[x](javascript:alert(1))');
  assert.ok(!bad.some((n) => n.t === 'link'));
  const good = parseInline('[wrk](https://github.com/wg/wrk)');
  assert.deepEqual(good[0], { t: 'link', href: 'https://github.com/wg/wrk', children: [{ t: 'text', text: 'wrk' }] });
});
