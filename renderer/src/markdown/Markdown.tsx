// Renders parsed markdown with React elements only: every piece of text goes through React's
// escaping; no dangerouslySetInnerHTML anywhere.
import { Fragment, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from './parse';

function inline(nodes: Inline[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return <Fragment key={i}>{n.text}</Fragment>;
      case 'code':
        return <code key={i}>{n.text}</code>;
      case 'strong':
        return <strong key={i}>{inline(n.children)}</strong>;
      case 'em':
        return <em key={i}>{inline(n.children)}</em>;
      case 'link':
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {inline(n.children)}
          </a>
        );
    }
  });
}

function block(b: Block, i: number): ReactNode {
  switch (b.t) {
    case 'heading': {
      const H = `h${b.level}` as 'h1';
      return <H key={i}>{inline(b.children)}</H>;
    }
    case 'paragraph':
      return <p key={i}>{inline(b.children)}</p>;
    case 'code':
      return (
        <pre key={i}>
          <code>{b.text}</code>
        </pre>
      );
    case 'list': {
      const L = b.ordered ? 'ol' : 'ul';
      return (
        <L key={i}>
          {b.items.map((it, j) => (
            <li key={j}>{inline(it)}</li>
          ))}
        </L>
      );
    }
    case 'quote':
      return <blockquote key={i}>{b.children.map(block)}</blockquote>;
    case 'rule':
      return <hr key={i} />;
  }
}

export function Markdown({ source }: { source: string }) {
  return <div className="md">{parseMarkdown(source).map(block)}</div>;
}
