import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown } from './markdown';

test('CommonMark blocks: headings one level down, paragraphs, lists, quotes, rules, fenced code', () => {
  const html = renderMarkdown('# Title\n## Sub\n###### Sixth\n\npara one\ncontinues\n\n- a\n- b\n  more b\n\n1. first\n2. second\n\n> quoted\n\n---\n\n```sh\nx < y && z\n```');
  assert.match(html, /<h2>Title<\/h2>/);
  assert.match(html, /<h3>Sub<\/h3>/);
  assert.match(html, /<h6>Sixth<\/h6>/, 'h6 stays h6: there is no h7');
  assert.match(html, /<p>para one\ncontinues<\/p>/);
  assert.match(html, /<ul>\n<li>a<\/li>\n<li>b\nmore b<\/li>\n<\/ul>/);
  assert.match(html, /<ol>\n<li>first<\/li>\n<li>second<\/li>\n<\/ol>/);
  assert.match(html, /<blockquote>\n<p>quoted<\/p>\n<\/blockquote>/);
  assert.match(html, /<hr>/);
  assert.match(html, /<pre><code class="language-sh">x &lt; y &amp;&amp; z\n<\/code><\/pre>/);
});

test('bold, em, code and http(s) / mailto links', () => {
  assert.equal(renderMarkdown('**b** and *e*'), '<p><strong>b</strong> and <em>e</em></p>\n');
  assert.equal(renderMarkdown('`a **not bold** <b>`'), '<p><code>a **not bold** &lt;b&gt;</code></p>\n');
  assert.equal(
    renderMarkdown('see [the *docs*](https://example.org/a?b=1&c=2)'),
    '<p>see <a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">the <em>docs</em></a></p>\n',
  );
  assert.match(renderMarkdown('[x](http://example.org)'), /<a href="http:\/\/example.org"/);
  assert.match(renderMarkdown('[mail](mailto:lab@example.org)'), /<a href="mailto:lab@example.org"/);
});

test('raw HTML is escaped, never passed through', () => {
  const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">');
  assert.ok(!html.includes('<script'));
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('onerror=&quot;alert(1)&quot;'));
});

test('javascript:, data: and relative targets are not made links; images are not loaded', () => {
  for (const src of ['[click](javascript:alert(1))', '[c](JavaScript:void)', '[c](data:text/html,x)', '[c](/local)']) {
    const html = renderMarkdown(src);
    assert.ok(!html.includes('<a'), `${src} -> ${html}`);
    assert.ok(html.includes('[c') || html.includes('[click'), html);
  }
  // An image is a link to it (the reader may follow it); nothing is fetched to show the page.
  assert.equal(renderMarkdown('![c](https://example.org/x.png)'), '<p>!<a href="https://example.org/x.png" rel="noopener noreferrer" target="_blank">c</a></p>\n');
  // A quote in an http URL cannot close the attribute.
  assert.ok(!renderMarkdown('[x](https://e.org/"onmouseover="alert(1))').includes('" onmouseover'));
});

test('the </script> breakout string stays text', () => {
  assert.equal(renderMarkdown('x </script><script>alert(1)</script> y'), '<p>x &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; y</p>\n');
});
