// Progress on stderr: a redrawn bar on a terminal, one line per finished point elsewhere (CI logs).
import { isFinalPhase } from '../engine/common/runs';
import type { ProgressEvent } from '../engine/model';

function clock(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { onProgress: (e: ProgressEvent) => void; end: () => void } {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    onProgress(e) {
      const line = `[${e.cell_id}] point ${e.point}/${e.points} ${e.label}  elapsed ${clock(e.elapsed_s)}  ETA ${clock(e.eta_s)}`;
      if (tty) {
        const width = 24;
        const doneCount = isFinalPhase(e.phase) ? e.point : e.point - 1;
        const filled = Math.round((doneCount / e.points) * width);
        const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
        const text = `${bar} ${line} (${e.phase})`;
        const cols = stream.columns ?? 120;
        stream.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
        drawn = true;
        if (e.phase === 'failed' || e.phase === 'skipped') {
          stream.write('\n');
          drawn = false;
        }
      } else if (isFinalPhase(e.phase)) {
        stream.write(`${line}${e.phase === 'done' ? '' : ` (${e.phase})`}\n`);
      } else if (e.point === 0) {
        // What comes before the first point (a guest booting: kernel, accelerator, boot time) is kept in CI logs too.
        stream.write(`[${e.cell_id}] ${e.label}  elapsed ${clock(e.elapsed_s)}\n`);
      }
    },
    end() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
