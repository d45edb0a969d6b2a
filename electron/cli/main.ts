// saio-lab: the command-line front end of the lab engine. Exit codes: 0 success, 1 a run failed
// or produced unverified results, 2 bad usage or bad input (with a message saying what to do).
import { parseArgs } from 'node:util';
import { LabError } from '../engine/notebooks';
import { NotebookInvalidError } from '../engine/notebook/validate';
import { defaultDbPath } from '../engine/locations';
import { Lab } from '../engine/lab';
import { ApiCallError, apiClient } from './client';
import { commands } from './commands';
import { serve, type ServeContext } from './serve';
import { UsageError } from './usage';

export const USAGE = `usage: saio-lab [--db PATH] <command> [options]

commands:
  replay <notebook.json|bundle> --out DIR [--quick]
         [--gate [--threshold 10%] [--junit FILE] [--summary FILE]]
                                                      run every experiment headless; write
                                                      DIR/results.json, results.csv, summaries.csv,
                                                      comparisons.csv, report.html (medians with 95%
                                                      CIs, every backend against the reference with
                                                      a verdict); --gate: exit 1 when a configuration
                                                      got significantly worse (Mann-Whitney U,
                                                      α 0.01) by more than the threshold than in the
                                                      cell's previous finished run on this machine
                                                      (CPU model, kernel, cores; e.g. one a bundle
                                                      carries); JUnit XML and a Markdown summary
  run <notebook|file.json> [--cell ID]... [--quick]   run experiment cells (a file is saved first)
  save <file.json> [--name NAME] [-m MESSAGE]         save a notebook file as a new revision
  list                                                notebooks in the database
  show <notebook> [--rev REV]                         cells, revisions and runs of a notebook
  cat <notebook> [--rev REV]                          the notebook's JSON at a revision
  history <notebook>                                  revisions, newest first
  diff <notebook> <REV> [REV2]                        what changed from REV to REV2 (default: head)
  restore <notebook> <REV>                            make REV's content the new head revision
  results <run>                                       one run's points as a table
  export <notebook> -o FILE                           write a bundle: notebook, revisions, runs
  import FILE [--as NAME]                             read a bundle (verified before anything is written)
  serve [--port N]                                    web mode: the lab's UI and API on 127.0.0.1:N
                                                      (default any free port); prints the URL with
                                                      its access token first; Ctrl-C stops

The database is --db PATH, else $SAIO_LAB_DB, else $XDG_DATA_HOME/saio-lab/lab.db
(~/.local/share/saio-lab/lab.db).
`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        db: { type: 'string' },
        out: { type: 'string' },
        o: { type: 'string', short: 'o' },
        quick: { type: 'boolean' },
        gate: { type: 'boolean' },
        threshold: { type: 'string' },
        junit: { type: 'string' },
        summary: { type: 'string' },
        port: { type: 'string' },
        cell: { type: 'string', multiple: true },
        rev: { type: 'string' },
        name: { type: 'string' },
        as: { type: 'string' },
        m: { type: 'string', short: 'm' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`saio-lab: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [name, ...rest] = parsed.positionals;
  if (parsed.values.help || !name) {
    (parsed.values.help ? process.stdout : process.stderr).write(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const command = name === 'serve' ? serve : commands[name];
  if (!command) {
    process.stderr.write(`saio-lab: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  let lab: Lab | undefined;
  try {
    lab = new Lab(parsed.values.db ?? defaultDbPath());
    for (const r of lab.recovered) {
      process.stderr.write(
        `saio-lab: run ${r.run_id.slice(0, 8)} was left running by a lab that died: marked interrupted ` +
          `(${r.points_recorded} points kept${r.processes_stopped ? `, ${r.processes_stopped} leftover process groups stopped` : ''})\n`,
      );
    }
    for (const h of await lab.recoverRemote()) process.stderr.write(`saio-lab: run ${h.run_id.slice(0, 8)} on ${h.line}\n`);
    const api = apiClient(lab);
    const ctx: ServeContext = { lab, call: api.call, subscribe: api.subscribe, args: rest, opts: parsed.values, out: process.stdout, err: process.stderr };
    return await command(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`saio-lab ${name}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof NotebookInvalidError || e instanceof LabError || (e as Error).name === 'BundleError' || e instanceof ApiCallError) {
      process.stderr.write(`saio-lab ${name}: ${(e as Error).message}\n`);
      return 2;
    }
    if ((e as Error).name === 'SqliteError') {
      process.stderr.write(`saio-lab ${name}: database error in ${parsed.values.db ?? defaultDbPath()}: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  } finally {
    lab?.close();
  }
}
