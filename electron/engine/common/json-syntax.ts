// Where JSON text stops being JSON, found by a parser (jsonc-parser, strict: no comments, no
// trailing commas) rather than read out of the JavaScript engine's message, which differs between
// Node and Chromium and does not always carry a position. The engine (notebook files, bundles)
// and the UI's JSON editor report the same line, column and words. Pure.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

export interface JsonSyntaxError {
  /** 0-based offset of the token where the error is. */
  offset: number;
  /** 1-based, as people count. */
  line: number;
  column: number;
  /** What the parser expected or found, in words: "comma expected", "value expected". */
  problem: string;
  /** `line 3, column 12 (near "oops\n}"): value expected`. */
  message: string;
}

// 'CloseBraceExpected' → 'close brace expected'.
const words = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** The first syntax error in `text`, or null when it is JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) {
    // What the parser accepts but JSON.parse does not (none known) is placed at the start.
    try {
      JSON.parse(text);
      return null;
    } catch {
      return at(text, 0, 'not JSON');
    }
  }
  return at(text, Math.min(first.offset, text.length), words(printParseErrorCode(first.error)));
}

function at(text: string, offset: number, problem: string): JsonSyntaxError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { offset, line, column, problem, message: `line ${line}, column ${column} (near ${JSON.stringify(text.slice(offset, offset + 20))}): ${problem}` };
}
