// The live terminal: what the server and the load generator print, as they print it. Each change
// of source (role, stream) starts with a coloured tag, so interleaved output stays attributable.
import { useEffect, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import { useTerminal, type OutputChunk } from '../../stores/terminal';

const ROLE_COLOURS: Record<string, string> = { server: '36', driver: '35', lab: '90', 'kernel-worker': '33' };

export function chunkText(c: OutputChunk, prev: OutputChunk | undefined): string {
  if (c.role === 'lab') return `${prev && !prev.data.endsWith('\n') ? '\n' : ''}${c.data}`;
  const changed = !prev || prev.role !== c.role || prev.stream !== c.stream || prev.job !== c.job;
  if (!changed) return c.data;
  const colour = ROLE_COLOURS[c.role] ?? '37';
  const nl = prev && !prev.data.endsWith('\n') ? '\n' : '';
  return `${nl}\x1b[${colour}m[${c.role}${c.stream === 'stderr' ? ' stderr' : ''}]\x1b[0m ${c.data}`;
}

export function TerminalPane() {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  useEffect(() => {
    const t = new Terminal({
      convertEol: true,
      scrollback: 20000,
      fontSize: 12,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      theme: { background: '#0f1419', foreground: '#d8dee4' },
      disableStdin: true,
      cursorBlink: false,
    });
    term.current = t;
    t.open(host.current!);
    const fit = () => {
      const el = host.current;
      if (!el) return;
      // Fit by measuring one cell: columns and rows from the pane's size.
      const cell = el.querySelector('.xterm-char-measure-element') as HTMLElement | null;
      const w = cell?.getBoundingClientRect().width || 7.2;
      const h = (cell?.getBoundingClientRect().height || 15) * 1.0;
      const cols = Math.max(20, Math.floor((el.clientWidth - 12) / w));
      const rows = Math.max(4, Math.floor((el.clientHeight - 4) / h));
      if (cols !== t.cols || rows !== t.rows) t.resize(cols, rows);
    };
    const ro = new ResizeObserver(fit);
    ro.observe(host.current!);
    fit();
    let last: OutputChunk | undefined;
    let written = 0;
    const writeNew = (chunks: OutputChunk[]) => {
      let out = '';
      for (const c of chunks) {
        if (c.seq <= written) continue;
        out += chunkText(c, last);
        last = c;
        written = c.seq;
      }
      if (out) t.write(out);
    };
    writeNew(useTerminal.getState().chunks);
    const unsub = useTerminal.subscribe((s, before) => {
      if (s.chunks.length === 0 && before.chunks.length > 0) {
        t.clear();
        last = undefined;
        return;
      }
      writeNew(s.chunks);
    });
    return () => {
      unsub();
      ro.disconnect();
      t.dispose();
      term.current = null;
    };
  }, []);
  return <div className="terminal" ref={host} data-testid="terminal" />;
}
