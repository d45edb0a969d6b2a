// Live output of the server and load generator, as it arrives. Chunks are kept (bounded) so a
// terminal pane opened later, or re-mounted, replays what it missed.
import { create } from 'zustand';

export interface OutputChunk {
  seq: number;
  job: string;
  role: string;
  stream: 'stdout' | 'stderr';
  data: string;
}

export const MAX_TERMINAL_BYTES = 4 * 1024 * 1024;

interface TerminalState {
  chunks: OutputChunk[];
  bytes: number;
  /** seq of the next chunk; a reader keeps the last seq it wrote. */
  nextSeq: number;
  /** Chunks dropped from the front to stay under MAX_TERMINAL_BYTES. */
  dropped: number;
  append(c: Omit<OutputChunk, 'seq'>): void;
  /** A line from the lab itself (run started, finished) between process output. */
  note(job: string, text: string): void;
  clear(): void;
}

export const useTerminal = create<TerminalState>()((set) => ({
  chunks: [],
  bytes: 0,
  nextSeq: 1,
  dropped: 0,
  append: (c) =>
    set((s) => {
      const chunk = { ...c, seq: s.nextSeq };
      let chunks = [...s.chunks, chunk];
      let bytes = s.bytes + c.data.length;
      let dropped = s.dropped;
      let cut = 0;
      while (bytes > MAX_TERMINAL_BYTES && cut < chunks.length - 1) {
        bytes -= chunks[cut]!.data.length;
        cut++;
      }
      if (cut > 0) {
        chunks = chunks.slice(cut);
        dropped += cut;
      }
      return { chunks, bytes, nextSeq: s.nextSeq + 1, dropped };
    }),
  note: (job, text) => useTerminal.getState().append({ job, role: 'lab', stream: 'stdout', data: `${text}\n` }),
  clear: () => set((s) => ({ chunks: [], bytes: 0, dropped: s.dropped + s.chunks.length })),
}));
