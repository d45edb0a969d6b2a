// A small markdown renderer for notebook text cells. It knows a fixed subset (headings # to ###,
// paragraphs, bullet lists, fenced code, **bold**, *em*, `code`, [links](https://…)) and builds
// its output only from fixed tags and escaped text: raw HTML in the source is shown, never run.
import { escapeHtml } from './format';

const SAFE_URL = /^https?:\/\/[^\s<>"'`]+$/i;

// `**x**` and `*x*`, applied to text that is already escaped (escaping leaves `*` alone).
function emphasis(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*(?=\S)(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\*(?=[^\s*])([^*]+?)\*/g, '<em>$1</em>');
}

// Links whose target is http(s) become anchors; any other target (javascript:, data:, relative)
// stays the literal text the author wrote.
function links(text: string): string {
  const link = /\[([^\]\n]+)\]\(([^()\s]+)\)/g;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(link)) {
    const [whole, label = '', url = ''] = m;
    const at = m.index ?? 0;
    out += emphasis(text.slice(last, at));
    out += SAFE_URL.test(url)
      ? `<a href="${escapeHtml(url)}" rel="noopener noreferrer">${emphasis(label)}</a>`
      : emphasis(whole);
    last = at + whole.length;
  }
  return out + emphasis(text.slice(last));
}

/** Inline markup of one block's text. Code spans bind first: nothing inside them is markup. */
export function renderInline(text: string): string {
  const code = /`([^`\n]+)`/g;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(code)) {
    const at = m.index ?? 0;
    out += links(text.slice(last, at));
    out += `<code>${escapeHtml(m[1] ?? '')}</code>`;
    last = at + m[0].length;
  }
  return out + links(text.slice(last));
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+.-]*)/;
const HEADING = /^\s{0,3}(#{1,3})\s+(.*?)(?:\s+#+)?\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;

/**
 * Markdown to an HTML fragment. Headings map one level down (# is <h2>) because the report's
 * own title is the page's <h1>.
 */
export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const html: string[] = [];
  let paragraph: string[] = [];
  let items: string[] = [];

  const flushParagraph = () => {
    if (paragraph.length) html.push(`<p>${renderInline(paragraph.join('\n'))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (items.length) html.push(`<ul>${items.map((i) => `<li>${renderInline(i)}</li>`).join('')}</ul>`);
    items = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const marker = fence[1]!;
      const body: string[] = [];
      // An unclosed fence runs to the end, as in CommonMark.
      while (++i < lines.length && !lines[i]!.trim().startsWith(marker)) body.push(lines[i]!);
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      html.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      const level = heading[1]!.length + 1;
      html.push(`<h${level}>${renderInline(heading[2] ?? '')}</h${level}>`);
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      flushParagraph();
      items.push(bullet[1] ?? '');
      continue;
    }
    // An indented line right after a bullet continues that item; anything else is paragraph text.
    if (items.length && /^\s/.test(line)) {
      items[items.length - 1] += `\n${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  flushList();
  return html.join('\n');
}
