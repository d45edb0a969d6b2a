// Notebook text cells as HTML, one renderer for the report and the UI, so a note reads the same in
// both: CommonMark (markdown-it's strict preset) with raw HTML off — a tag in a note is shown as
// text, never run — and links only to http(s) and mailto (anything else stays the text written).
// Images are off too: the report is self-contained and the app loads nothing from the network.
// Headings map one level down (# is <h2>): the page's own title is the <h1>. Pure.
import MarkdownIt from 'markdown-it';

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

const md = new MarkdownIt('commonmark', { html: false, xhtmlOut: false, linkify: false, typographer: false });
md.disable('image');
md.validateLink = (url) => SAFE_LINK.test(url.trim());

// Opening and closing tags alike: each token carries its own level.
const headingOneDown: NonNullable<typeof md.renderer.rules.heading_open> = (tokens, i, options, _env, self) => {
  const token = tokens[i]!;
  token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 1)}`;
  return self.renderToken(tokens, i, options);
};
md.renderer.rules.heading_open = headingOneDown;
md.renderer.rules.heading_close = headingOneDown;
md.renderer.rules.link_open = (tokens, i, options, _env, self) => {
  const token = tokens[i]!;
  token.attrSet('rel', 'noopener noreferrer');
  token.attrSet('target', '_blank');
  return self.renderToken(tokens, i, options);
};

/** Markdown source to an HTML fragment built only from markdown-it's tags and escaped text. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}
