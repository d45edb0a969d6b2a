// Form inputs bound to a path of the draft. Each keeps the text the user typed while it still
// means the draft's value (so "1." or "10, " are not rewritten under the cursor).
import { useEffect, useState } from 'react';
import { useEditor } from '../../stores/editor';
import { getIn } from '../../stores/draft';
import { formatNumberList, parseNameListText, parseNumberListText, parseNumberText, sameListText, sameNumberText } from '../../validation/fields';
import { jsonPath, type Segment } from '../../validation/paths';
import { Field } from './Field';
import { useFieldMessages } from './useErrors';

interface Common {
  label: string;
  path: readonly Segment[];
  hint?: string;
  wide?: boolean;
  /** When the draft has no value here, clearing the input removes the key (optional fields). */
  optional?: boolean;
}

function useValue(path: readonly Segment[]): unknown {
  return useEditor((s) => getIn(s.draft, path));
}

function setField(path: readonly Segment[], value: unknown) {
  useEditor.getState().setField(path, value);
}

function useSyncedText(value: unknown, same: (text: string, v: unknown) => boolean, format: (v: unknown) => string) {
  const [text, setText] = useState(() => format(value));
  useEffect(() => {
    if (!same(text, value)) setText(format(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return [text, setText] as const;
}

/** Keeps the typed text and sets the field to what it parses to (nothing, when optional and empty). */
function onTyped(setText: (t: string) => void, path: readonly Segment[], parse: (t: string) => unknown, optional = false) {
  return (e: { target: { value: string } }) => {
    const t = e.target.value;
    setText(t);
    setField(path, optional && t.trim() === '' ? undefined : parse(t));
  };
}

export function NumberInput({ label, path, hint, optional, unit }: Common & { unit?: string }) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p);
  const [text, setText] = useSyncedText(value, sameNumberText, (v) => (v === undefined ? '' : String(v)));
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})}>
      <span className="input-unit">
        <input type="text" inputMode="numeric" name={p} value={text} aria-invalid={messages.length > 0} onChange={onTyped(setText, path, parseNumberText, optional)} />
        {unit && <span className="unit">{unit}</span>}
      </span>
    </Field>
  );
}

interface ListText {
  same: (text: string, v: unknown) => boolean;
  format: (v: unknown) => string;
  parse: (text: string) => unknown;
}

/** A list typed as text, with messages for the list and for each item. */
function ListInput({ label, path, hint, optional, placeholder, list }: Common & { placeholder?: string; list: ListText }) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p, { list: true, items: Array.isArray(value) ? value : [] });
  const [text, setText] = useSyncedText(value, list.same, list.format);
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})}>
      <input type="text" name={p} value={text} {...(placeholder !== undefined ? { placeholder } : {})} aria-invalid={messages.length > 0} onChange={onTyped(setText, path, list.parse, optional)} />
    </Field>
  );
}

const NUMBERS: ListText = { same: sameListText, format: formatNumberList, parse: parseNumberListText };
const NAMES: ListText = {
  same: (t, v) => Array.isArray(v) && parseNameListText(t).join(',') === v.join(','),
  format: (v) => (Array.isArray(v) ? v.join(', ') : ''),
  parse: parseNameListText,
};

export function NumberListInput(props: Common) {
  return <ListInput {...props} placeholder={props.optional ? 'not swept' : ''} list={NUMBERS} />;
}

export function NameListInput(props: Common) {
  return <ListInput {...props} optional={false} list={NAMES} />;
}

export function TextInput({ label, path, hint, optional, wide, multiline }: Common & { multiline?: boolean }) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p);
  const text = typeof value === 'string' ? value : value === undefined ? '' : String(value);
  const onChange = (t: string) => setField(path, optional && t === '' ? undefined : t);
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})} {...(wide ? { wide } : {})}>
      {multiline ? (
        <textarea name={p} value={text} rows={Math.min(8, Math.max(2, text.split('\n').length))} spellCheck={false} aria-invalid={messages.length > 0} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input type="text" name={p} value={text} aria-invalid={messages.length > 0} onChange={(e) => onChange(e.target.value)} />
      )}
    </Field>
  );
}

export function CheckboxInput({ label, path, hint }: Common) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p);
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})}>
      <input type="checkbox" name={p} checked={value === true} onChange={(e) => setField(path, e.target.checked)} />
    </Field>
  );
}

export function SelectInput({ label, path, hint, options }: Common & { options: readonly { value: string; label?: string }[] }) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p);
  const v = typeof value === 'string' ? value : '';
  const known = options.some((o) => o.value === v);
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})}>
      <select name={p} value={v} aria-invalid={messages.length > 0} onChange={(e) => setField(path, e.target.value)}>
        {!known && <option value={v}>{v === '' ? '—' : `${v} (unknown)`}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label ?? o.value}
          </option>
        ))}
      </select>
    </Field>
  );
}

/**
 * Several choices of a fixed list, stored as one name when one is picked (the common case reads
 * as before: `"y": "latency_p99_us"`) and as a list when several are.
 */
export function MultiSelectInput({ label, path, hint, options }: Common & { options: readonly { value: string; label?: string }[] }) {
  const p = jsonPath(path);
  const value = useValue(path);
  const messages = useFieldMessages(p, { list: true, items: Array.isArray(value) ? value : [] });
  const picked = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  const toggle = (v: string, on: boolean) => {
    const next = options.map((o) => o.value).filter((o) => (o === v ? on : picked.includes(o)));
    setField(path, next.length === 1 ? next[0] : next);
  };
  return (
    <Field label={label} path={p} messages={messages} {...(hint ? { hint } : {})} wide>
      <span className="checks" role="group" aria-label={label}>
        {options.map((o) => (
          <label key={o.value} className="check">
            <input type="checkbox" name={`${p}:${o.value}`} checked={picked.includes(o.value)} onChange={(e) => toggle(o.value, e.target.checked)} /> {o.label ?? o.value}
          </label>
        ))}
      </span>
    </Field>
  );
}
