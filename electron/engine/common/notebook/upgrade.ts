// Format 1 notebooks (`saio-lab/notebook@1`) in today's format. Format 1 was HTTP and wrk only:
// the file size and keep-alive were server settings; they are the http protocol's settings now.
// Everything else means the same. Pure: the renderer and bundle import use it too.
import { NOTEBOOK_FORMAT } from './schema';
import type { NotebookV1, ExperimentCellV1 } from './schema-v1';

function experimentV2(cell: ExperimentCellV1) {
  const { file_size, keep_alive, ...server } = cell.server;
  return { ...cell, server, protocol: { kind: 'http' as const, file_size, keep_alive } };
}

/** A validated format-1 notebook as format-2 JSON (to be parsed by the format-2 schema). */
export function upgradeNotebookV1(nb: NotebookV1): unknown {
  return {
    ...nb,
    format: NOTEBOOK_FORMAT,
    cells: nb.cells.map((c) => (c.type === 'experiment' ? experimentV2(c) : c)),
  };
}
