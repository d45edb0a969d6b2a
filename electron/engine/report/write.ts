// What `replay` leaves in its output folder: results.json, results.csv and report.html.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import { reportHtml } from './html';
import { comparisonsCsv, resultsCsv, summariesCsv } from './results-csv';
import { resultsJsonText } from './results-json';
import type { ReplayResults } from '../common/results';

/** Writes the outputs into outDir (created if missing) and returns their paths. */
export function writeReplayOutputs(outDir: string, results: ReplayResults): { json: string; csv: string; summaries: string; comparisons: string; html: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const paths = {
    json: path.join(outDir, 'results.json'),
    csv: path.join(outDir, 'results.csv'),
    summaries: path.join(outDir, 'summaries.csv'),
    comparisons: path.join(outDir, 'comparisons.csv'),
    html: path.join(outDir, 'report.html'),
  };
  // Render everything before writing anything, so a rendering error leaves no partial set.
  const texts = { json: resultsJsonText(results), csv: resultsCsv(results), summaries: summariesCsv(results), comparisons: comparisonsCsv(results), html: reportHtml(results) };
  for (const k of Object.keys(paths) as (keyof typeof paths)[]) writeFileAtomic(paths[k], texts[k]);
  return paths;
}
