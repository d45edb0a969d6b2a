import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderInline, renderMarkdown } from './markdown';

test('headings, paragraphs, lists and fenced code', () => {
  const html = renderMarkdown('# Title\n## Sub\n### Third\n#### not a heading\n\npara one\ncontinues\n\n- a\n- b\n  more b\n\n```sh\nx < y && z\n```');
  assert.match(html, /<h2>Title<\/h2>/);
  assert.match(html, /<h3>Sub<\/h3>/);
  assert.match(html, /<h4>Third<\/h4>/);
  assert.match(html, /<p>#### not a heading<\/p>/);
  assert.match(html, /<p>para one\ncontinues<\/p>/);
  assert.match(html, /<ul><li>a<\/li><li>b\nmore b<\/li><\/ul>/);
  assert.match(html, /<pre><code class="language-sh">x &lt; y &amp;&amp; z<\/code><\/pre>/);
});

test('bold, em, code and http(s) links', () => {
  assert.equal(renderInline('**b** and *e*'), '<strong>b</strong> and <em>e</em>');
  assert.equal(renderInline('`a **not bold** <b>`'), '<code>a **not bold** &lt;b&gt;</code>');
  assert.equal(
    renderInline('see [the *docs*](https://example.org/a?b=1&c=2)'),
    'see <a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">the <em>docs</em></a>',
  );
  assert.match(renderInline('[x](http://example.org)'), /<a href="http:\/\/example.org"/);
});

test('raw HTML is escaped, never passed through', () => {
  const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">');
  assert.ok(!html.includes('<script'));
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('onerror=&quot;alert(1)&quot;'));
});

test('javascript:, data: and relative targets are not made links', () => {
  for (const src of ['[click](javascript:alert(1))', '[click](javascript:alert`1`)', '[c](JavaScript:void)', '[c](data:text/html,x)', '[c](/local)']) {
    const html = renderMarkdown(src);
    assert.ok(!html.includes('<a'), `${src} -> ${html}`);
    assert.ok(html.includes('[c') || html.includes('[click'), html);
  }
  // A quote in an http URL cannot close the attribute.
  assert.ok(!renderInline('[x](https://e.org/"onmouseover="alert(1))').includes('" onmouseover'));
});

test('the </script> breakout string stays text', () => {
  const html = renderMarkdown('x </script><script>alert(1)</script> y');
  assert.equal(html, '<p>x &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; y</p>');
});
