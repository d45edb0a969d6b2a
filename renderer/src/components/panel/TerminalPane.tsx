// The live terminal: what the server and the load generator print, as they print it. Every line
// starts with its source's coloured tag (like `docker compose logs`), so interleaved output stays
// attributable and a line's origin shows even when its first line has scrolled away.
import { useEffect, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import { useTerminal, type OutputChunk } from '../../stores/terminal';
import { chunkText } from './terminal-text';

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
