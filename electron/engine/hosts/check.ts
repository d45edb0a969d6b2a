// The host check a run makes before any point starts: is every host reachable, and does it have
// what the cell needs there — the server binary, saio-load, libsaio of the same build as the local
// tree (by sha256, or copied into the run's directory there)? Each problem is one line naming the
// host and what to do; nothing is installed that the need list does not name.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SshHost } from './ssh';
import type { Host } from './types';

export type Need =
  /** A program found on the host's PATH (plus /usr/sbin, /sbin). */
  | { kind: 'program'; program: string; for?: string }
  /**
   * A file of a known build: `path` on the host when its sha256 matches, else (with `copyFrom`)
   * the local file copied into the run's directory there and checked again.
   */
  | { kind: 'file'; what: string; path: string; sha256: string; copyFrom?: string; mode?: number };

export interface HostCheck {
  host: string;
  ok: boolean;
  /** One line per problem: "srv (ssh://…): nginx is not installed …". */
  problems: string[];
  /** program → its absolute path there. */
  programs: Record<string, string>;
  /** what → the path to use there (in place, or the copy). */
  files: Record<string, string>;
  /** what → how it was satisfied ("same build at PATH", "copied to PATH"). */
  notes: string[];
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export async function checkHost(host: Host, needs: readonly Need[]): Promise<HostCheck> {
  const at = `${host.name} (${host.address})`;
  const res: HostCheck = { host: host.name, ok: false, problems: [], programs: {}, files: {}, notes: [] };
  try {
    await host.open();
  } catch (e) {
    // Unreachable, refused, wrong key: nothing else can be checked, and one line says why.
    res.problems.push((e as Error).message);
    return res;
  }
  const programs = needs.filter((n): n is Extract<Need, { kind: 'program' }> => n.kind === 'program');
  const paths = host instanceof SshHost ? await host.whichAll(programs.map((p) => p.program)) : await Promise.all(programs.map((p) => host.which(p.program)));
  programs.forEach((p, i) => {
    const found = paths[i];
    if (found) res.programs[p.program] = found;
    else res.problems.push(`${at}: ${p.program} is not installed (not found on PATH, /usr/sbin or /sbin)${p.for ? `; it is needed for ${p.for}` : ''} — install it there`);
  });
  for (const n of needs) {
    if (n.kind !== 'file') continue;
    const there = await host.sha256(n.path);
    if (there === n.sha256) {
      res.files[n.what] = n.path;
      res.notes.push(`${n.what}: the same build at ${n.path}`);
      continue;
    }
    if (n.copyFrom) {
      const dest = `${host.runDir}/${basename(n.copyFrom)}`;
      const local = readFileSync(n.copyFrom);
      if (createHash('sha256').update(local).digest('hex') !== n.sha256) {
        res.problems.push(`${at}: the local ${n.what} (${n.copyFrom}) changed while the run was starting; build again and rerun`);
        continue;
      }
      await host.writeFile(dest, local, { mode: n.mode ?? 0o755 });
      const copied = await host.sha256(dest);
      if (copied !== n.sha256) {
        res.problems.push(`${at}: ${n.what} copied to ${dest} reads back with another sha256 (${copied ?? 'missing'}): check the disk there`);
        continue;
      }
      res.files[n.what] = dest;
      res.notes.push(`${n.what}: ${there === null ? `not at ${n.path}` : `another build at ${n.path}`}; copied to ${dest}`);
      continue;
    }
    res.problems.push(
      there === null
        ? `${at}: ${n.what} is missing (${n.path}) — install the same build there, or let the lab copy it`
        : `${at}: ${n.what} at ${n.path} is another build (sha256 ${there.slice(0, 12)}…, the local tree's is ${n.sha256.slice(0, 12)}…) — rebuild it there from the same commit, or let the lab copy it`,
    );
  }
  res.ok = res.problems.length === 0;
  return res;
}

/** Every host at once; the problems of all of them, one line each. */
export async function checkHosts(items: readonly { host: Host; needs: readonly Need[] }[]): Promise<{ ok: boolean; checks: HostCheck[]; problems: string[] }> {
  const checks = await Promise.all(items.map((i) => checkHost(i.host, i.needs)));
  const problems = checks.flatMap((c) => c.problems);
  return { ok: problems.length === 0, checks, problems };
}
