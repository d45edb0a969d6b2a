// A notebook's text cell, rendered by the report's own renderer (engine/common/markdown.ts) so a
// note reads the same in the app and in report.html. Setting its HTML is safe: markdown-it runs
// with raw HTML off, so every character of the source arrives escaped or as one of its own tags,
// and links go only to http(s) and mailto.
import { useMemo } from 'react';
import { renderMarkdown } from '../../../electron/engine/common/markdown';

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return <div className="md" dangerouslySetInnerHTML={{ __html: html }} />;
}
