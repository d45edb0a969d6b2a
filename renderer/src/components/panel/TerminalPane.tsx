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
    // Columns and rows from the pane's size and the width of one character in the terminal font.
    const probe = document.createElement('span');
    probe.textContent = 'W'.repeat(100);
    Object.assign(probe.style, { position: 'absolute', visibility: 'hidden', whiteSpace: 'pre', fontFamily: t.options.fontFamily ?? 'monospace', fontSize: `${t.options.fontSize ?? 12}px` });
    document.body.appendChild(probe);
    const fit = () => {
      const el = host.current;
      if (!el || el.clientWidth === 0) return;
      const charW = probe.getBoundingClientRect().width / 100 || 7.2;
      const charH = Math.ceil((t.options.fontSize ?? 12) * (t.options.lineHeight ?? 1) * 1.2);
      const cols = Math.max(20, Math.floor((el.clientWidth - 14) / charW));
      const rows = Math.max(4, Math.floor((el.clientHeight - 4) / charH));
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
      probe.remove();
      t.dispose();
      term.current = null;
    };
  }, []);
  return <div className="terminal" ref={host} data-testid="terminal" />;
}
