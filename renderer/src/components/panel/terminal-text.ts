// How output chunks become terminal text: every line starts with its source's coloured tag (like
// `docker compose logs`), so interleaved output stays attributable and a line's origin shows even
// when the first line of its burst has scrolled away.
import type { OutputChunk } from '../../stores/terminal';

const ROLE_COLOURS: Record<string, string> = { server: '36', driver: '35', lab: '90', 'kernel-worker': '33' };

export function chunkText(c: OutputChunk, prev: OutputChunk | undefined): string {
  const atLineStart = !prev || prev.data.endsWith('\n');
  if (c.role === 'lab') return `${atLineStart ? '' : '\n'}${c.data}`;
  const sameSource = prev !== undefined && prev.role === c.role && prev.stream === c.stream && prev.job === c.job;
  const tag = `\x1b[${ROLE_COLOURS[c.role] ?? '37'}m[${c.role}${c.stream === 'stderr' ? ' stderr' : ''}]\x1b[0m `;
  // A chunk that continues its source's unfinished line goes on without a tag; another source's
  // output starts on a new line.
  let out = !sameSource && !atLineStart ? '\n' : '';
  const lines = c.data.split('\n');
  lines.forEach((line, i) => {
    if (i > 0) out += '\n';
    if (i === lines.length - 1 && line === '') return;
    if (i > 0 || atLineStart || !sameSource) out += tag;
    out += line;
  });
  return out;
}
