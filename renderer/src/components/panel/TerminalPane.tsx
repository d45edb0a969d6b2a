// The live terminal: what the server and the load generator print, as they print it. Every line
// starts with its source's coloured tag (like `docker compose logs`), so interleaved output stays
// attributable and a line's origin shows even when its first line has scrolled away.
import { useEffect, useRef } from 'react';
import { FitAddon } from '@xterm/addon-fit';
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
    // Columns and rows from the pane's size and the renderer's own cell size (xterm's fit addon).
    const fitAddon = new FitAddon();
    t.loadAddon(fitAddon);
    const fit = () => {
      if (host.current && host.current.clientWidth > 0) fitAddon.fit();
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
