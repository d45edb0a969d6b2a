// The guest's serial console, as QEMU writes it to its stdout: kept line by line (and in a file,
// an artifact of the run), watched for the init's markers and for kernel trouble. A mark is a line
// count: trouble since a mark is what appeared while something ran.
import { createWriteStream, type WriteStream } from 'node:fs';

/** Kernel trouble on a console: the same list as kmod/tests/run.sh. */
export const TROUBLE = /Oops|BUG:|WARNING:|Call Trace|general protection|Kernel panic|blocked for more than|soft lockup/;

export class Console {
  readonly lines: string[] = [];
  private partial = '';
  private readonly waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  private readonly file: WriteStream | null;

  constructor(path?: string) {
    this.file = path ? createWriteStream(path) : null;
  }

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString('utf8').replace(/\r/g, '');
    this.file?.write(chunk);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.line(l);
  }

  private line(l: string): void {
    this.lines.push(l);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as (typeof this.waiters)[number];
      if (w.test(l)) {
        this.waiters.splice(i, 1);
        w.resolve(l);
      }
    }
  }

  end(): Promise<void> {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    return new Promise((r) => (this.file ? this.file.end(r) : r()));
  }

  mark(): number {
    return this.lines.length;
  }

  /** The first line (from `from`) that passes `test`; resolves when one arrives. */
  waitFor(test: (l: string) => boolean, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Lines of kernel trouble since `mark`, each with the line that follows it when that one says where. */
  troubleSince(mark: number): string[] {
    const out: string[] = [];
    for (let i = mark; i < this.lines.length; i++) {
      const l = this.lines[i] as string;
      if (TROUBLE.test(l)) out.push(l.trim());
    }
    return out;
  }

  tail(n: number): string[] {
    return this.lines.slice(-n);
  }
}
