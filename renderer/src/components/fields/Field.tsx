// A labelled form field with its validation messages right under it.
import type { ReactNode } from 'react';

export function Field({ label, path, messages, hint, children, wide }: { label: string; path: string; messages: string[]; hint?: string; children: ReactNode; wide?: boolean }) {
  const bad = messages.length > 0;
  return (
    <label className={`field${bad ? ' invalid' : ''}${wide ? ' wide' : ''}`} data-path={path}>
      <span className="field-label" title={hint}>
        {label}
      </span>
      {children}
      {bad && (
        <span className="field-errors" role="alert" data-error-path={path}>
          {messages.map((m, i) => (
            <span key={i} className="field-error">
              {m}
            </span>
          ))}
        </span>
      )}
    </label>
  );
}
