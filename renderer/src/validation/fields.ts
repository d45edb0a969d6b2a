// What a form field puts into the draft. Text that is a number becomes the number; anything else
// stays as the text typed, so validation reports it ("expected a number, found \"1O\"") at the
// field instead of the form silently keeping an old value.

export function parseNumberText(text: string): number | string {
  const t = text.trim();
  if (t === '') return t;
  const n = Number(t);
  return Number.isFinite(n) ? n : text;
}

/** "10, 50 100" → [10, 50, 100]; commas and/or spaces separate items. */
export function parseNumberListText(text: string): (number | string)[] {
  return text
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map(parseNumberText);
}

export function formatNumberList(value: unknown): string {
  return Array.isArray(value) ? value.map((v) => String(v)).join(', ') : '';
}

export function parseNameListText(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s !== '');
}

/** True when the text already says what the value says (so a field keeps the user's spelling). */
export function sameNumberText(text: string, value: unknown): boolean {
  return parseNumberText(text) === value || (text.trim() === '' && (value === undefined || value === ''));
}

export function sameListText(text: string, value: unknown): boolean {
  const parsed = parseNumberListText(text);
  return Array.isArray(value) && parsed.length === value.length && parsed.every((v, i) => v === value[i]);
}
