// The POSIX sh scripts an SshHost runs on the other side (each through loginShellCommand, so the
// login shell only ever sees a base64 word). Every value put into a script goes through shQuote;
// only numbers checked here, signal names from a fixed list and these fixed texts are written
// in directly. They use sh builtins where they loop (read instead of cat), so that reading
// /proc costs no fork per file.
import { shAssign, shCommand, shQuote } from './quote';

/** Programs in sbin directories (nginx, insmod) are found even when the login PATH lacks them. */
export const PREAMBLE = 'PATH="${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin"; export PATH; LC_ALL=C; export LC_ALL\n';

/**
 * rd < FILE: the whole file into $c with builtins (fails when it cannot be opened). Used for
 * /proc/PID files: they are seq_files, which keep the text of the first read for the next ones,
 * so reading them byte by byte (as sh's read does) still gives one consistent line.
 */
const RD = `rd() { c=; l=; while IFS= read -r l; do c="$c$l
"; done; c="$c$l"; }
`;

/** alive PGID: a process of the group that is not a zombie exists. */
const ALIVE = `alive() { for s in /proc/[0-9]*/stat; do rd 2>/dev/null < "$s" || continue; r=\${c##*) }; set -- $r; [ "$3" = "$g" ] && [ "$1" != Z ] && return 0; done; return 1; }
`;

function int(n: number, what: string): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: not a whole number: ${n}`);
  return String(n);
}

/**
 * Starts argv as the leader of a new session and process group (setsid), records
 * "PID STARTTICKS ROLE" in PIDFILE, says "SAIO-PID PID STARTTICKS" as the first line on stderr
 * (or "SAIO-MISSING PROGRAM", or "SAIO-ERROR why"), and waits for it, exiting with its status.
 * A watcher reads the ssh channel's stdin: when it ends — the lab or its ssh client died, the
 * connection dropped — the whole group is killed at once (a dead man's switch). The pid file
 * stays while the group may run, for cleanup() after a lab that could not say goodbye.
 * `epilogue` (fixed text of the lab's own, never notebook text) runs after the program ends.
 */
export function spawnScript(o: { procDir: string; pidFile: string; role: string; argv: readonly string[]; env?: Record<string, string>; cwd?: string; epilogue?: string }): string {
  const inner =
    'f=$1; r=$2; shift 2\n' +
    'command -v "$1" >/dev/null 2>&1 || { printf "SAIO-MISSING %s\\n" "$1" >&2; exit 127; }\n' +
    // this shell's comm is "sh" (no spaces), so the fields split plainly; field 22 is starttime
    'read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ t _ < /proc/$$/stat\n' +
    'printf "%s %s %s\\n" $$ "$t" "$r" > "$f" || { echo "SAIO-ERROR cannot write $f" >&2; exit 125; }\n' +
    'printf "SAIO-PID %s %s\\n" $$ "$t" >&2\n' +
    'exec "$@"\n';
  const lines = [PREAMBLE, `mkdir -p ${shQuote(o.procDir)} || { echo "SAIO-ERROR cannot create the run directory" >&2; exit 125; }\n`];
  if (o.cwd !== undefined) lines.push(`cd ${shQuote(o.cwd)} || { echo "SAIO-ERROR cannot enter the working directory" >&2; exit 125; }\n`);
  for (const [k, v] of Object.entries(o.env ?? {})) lines.push(`export ${shAssign(k, v)}\n`);
  lines.push(
    'exec 3<&0\n',
    `setsid sh -c ${shQuote(inner)} saio-spawn ${shQuote(o.pidFile)} ${shQuote(o.role)} ${shCommand(o.argv)} </dev/null 3<&- &\n`,
    'child=$!\n',
    '{ while read -r _; do :; done; kill -KILL -$child 2>/dev/null; } <&3 &\n',
    'watch=$!\n',
    'exec 3<&-\n',
    'wait $child; rc=$?\n',
    'kill $watch 2>/dev/null\n',
    o.epilogue ? `${o.epilogue}\n` : '',
    `rm -f ${shQuote(o.pidFile)}\n`,
    'exit $rc\n',
  );
  return lines.join('');
}

/**
 * Stops every group recorded under procDir: a recorded leader that is still the same process
 * (same start time), or a group whose leader is gone but whose members live on. A pid reused by
 * another process is left alone (the kernel does not reuse a pid while a group still has it as
 * id). Prints "stopped PID ROLE" or "left PID ROLE" per group; removes runDir when asked.
 */
export function cleanupScript(o: { procDir: string; runDir?: string }): string {
  return (
    PREAMBLE +
    RD +
    ALIVE +
    `for f in ${shQuote(o.procDir)}/*.pid; do\n` +
    '  [ -f "$f" ] || continue\n' +
    '  pid=; st=; role=\n' +
    '  { read -r pid st role; } 2>/dev/null < "$f"\n' +
    '  case $pid in ""|*[!0-9]*) rm -f "$f"; continue ;; esac\n' +
    '  cur=\n' +
    '  if rd 2>/dev/null < /proc/$pid/stat; then r=${c##*) }; set -- $r; shift 19; cur=$1; fi\n' +
    '  if [ -n "$cur" ] && [ "$cur" != "$st" ]; then rm -f "$f"; continue; fi\n' +
    '  g=$pid\n' +
    '  if alive; then\n' +
    '    kill -KILL -$pid 2>/dev/null\n' +
    '    i=0; while alive && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done\n' +
    '    if alive; then echo "left $pid $role"; else echo "stopped $pid $role"; fi\n' +
    '  fi\n' +
    '  rm -f "$f"\n' +
    'done\n' +
    (o.runDir ? `rm -rf ${shQuote(o.runDir)}\n` : '')
  );
}

/**
 * Prints each file as "+CONTENT\0", or "-\0" when it cannot be read. One cat per file, not rd:
 * /proc/sys files answer only a read from offset 0 (rd reads byte by byte).
 */
export function readTextFilesScript(paths: readonly string[]): string {
  return (
    PREAMBLE +
    (paths.length > 0 ? `set -- ${shCommand(paths)}\n` : 'set --\n') +
    'for f in "$@"; do if c=$(cat < "$f" 2>/dev/null && echo x); then printf "+%s\\0" "${c%x}"; else printf -- "-\\0"; fi; done\n'
  );
}

/**
 * members: adds to $want (" PID PID … ") every live process whose group is in $groups, in one
 * pass over /proc/[0-9]*\/stat.
 */
const MEMBERS = `members() { for s in /proc/[0-9]*/stat; do rd 2>/dev/null < "$s" || continue; r=\${c##*) }; set -- $r
  case $groups in *" $3 "*) [ "$1" != Z ] && { q=\${s#/proc/}; q=\${q%/stat}; case $want in *" $q "*) ;; *) want="$want$q " ;; esac; } ;; esac
done; }
`;

/** The sh assignments of the groups and pids asked: $groups and $want, each " N N … ". */
function selection(groups: readonly number[], pids: readonly number[]): string {
  return `groups=" ${groups.map((n) => int(n, 'process group')).join(' ')} "\nwant=" ${pids.map((n) => int(n, 'pid')).join(' ')} "\n`;
}

/**
 * For each live process of the groups and pids asked: "P\0PID\0STAT\0" then per thread
 * "T\0TID\0STAT\0STATUS\0". One pass over /proc/[0-9]*\/stat finds the groups' members.
 */
export function sampleScript(groups: readonly number[], pids: readonly number[]): string {
  return (
    PREAMBLE +
    RD +
    MEMBERS +
    selection(groups, pids) +
    (groups.length > 0 ? 'members\n' : '') +
    'for q in $want; do\n' +
    '  rd 2>/dev/null < /proc/$q/stat || continue\n' +
    '  printf "P\\0%s\\0%s\\0" "$q" "$c"\n' +
    '  for t in /proc/$q/task/[0-9]*; do\n' +
    '    rd 2>/dev/null < "$t/stat" || continue; s=$c\n' +
    '    rd 2>/dev/null < "$t/status" || continue\n' +
    '    printf "T\\0%s\\0%s\\0%s\\0" "${t##*/}" "$s" "$c"\n' +
    '  done\n' +
    'done\n' +
    'exit 0\n'
  );
}

/**
 * CPU readings of a run's processes on a host, for the whole run (hosts/cpu.ts): first
 * "A WALL_NS UPTIME1 UPTIME2" (the host's clock read between two readings of /proc/uptime), then every `intervalMs`
 * a reading — /proc/uptime and the stat lines of every live process a pid file of `roles` names
 * in procDir (spawnScript's records: each is its group's leader) and of that leader's children,
 * and of their threads, as "PATH:LINE" (one grep per reading; the leaders' children files read
 * with builtins), then "E". It ends when stopped (its group is killed) or after `maxReadings`.
 */
export function cpuFollowScript(o: { procDir: string; roles: readonly string[]; intervalMs: number; maxReadings: number }): string {
  const roles = o.roles.map((r) => {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(r)) throw new Error(`role ${JSON.stringify(r)}`);
    return `"$procs"/*-${r}.pid`;
  });
  return (
    PREAMBLE +
    RD +
    `procs=${shQuote(o.procDir)}; n=0\n` +
    // The anchor: the wall clock read between two uptimes close together (a fork of date can take
    // long on a busy host; up to 5 tries for a pair within 20 ms), said with both.
    'k=0; while :; do rd < /proc/uptime; u1=${c%% *}; w=$(date +%s%N 2>/dev/null); rd < /proc/uptime; u2=${c%% *}\n' +
    '  k=$((k + 1)); [ $(( ${u2%.*}${u2#*.} - ${u1%.*}${u1#*.} )) -le 2 ] || [ "$k" -ge 5 ] && break; done\n' +
    'echo "A $w $u1 $u2"\n' +
    'while :; do\n' +
    '  files=\n' +
    `  for f in ${roles.join(' ')}; do\n` +
    '    [ -e "$f" ] && read -r p _ < "$f" 2>/dev/null && [ -e "/proc/$p/stat" ] || continue\n' +
    '    c=; rd 2>/dev/null < "/proc/$p/task/$p/children"\n' +
    '    for q in $p $c; do files="$files /proc/$q/stat /proc/$q/task/[0-9]*/stat"; done\n' +
    '  done\n' +
    '  grep -H "" /proc/uptime $files 2>/dev/null; echo E\n' +
    `  n=$((n + 1)); [ "$n" -lt ${int(o.maxReadings, 'readings')} ] || break\n` +
    `  sleep ${(Number(int(o.intervalMs, 'interval')) / 1000).toFixed(3)}\n` +
    'done\n' +
    'exit 0\n'
  );
}

/**
 * For each pid whose fds can be read: "P PID", then `ls -l` of /proc/PID/fd (one fork per
 * process, not per fd; GNU and busybox ls both print "N -> socket:[INODE]").
 */
export function socketsScript(pids: readonly number[]): string {
  return PREAMBLE + `for p in ${pids.map((n) => int(n, 'pid')).join(' ')}; do l=$(ls -l /proc/$p/fd 2>/dev/null) || continue; echo "P $p"; printf '%s\\n' "$l"; done\n` + 'exit 0\n';
}

/** socketsScript's output → pid → socket inodes. */
export function parseSocketListing(text: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  let cur: number[] | null = null;
  for (const line of text.split('\n')) {
    const pid = /^P (\d+)$/.exec(line)?.[1];
    if (pid) out.set(Number(pid), (cur = []));
    else {
      const inode = / -> socket:\[(\d+)\]$/.exec(line)?.[1];
      if (inode && cur) cur.push(Number(inode));
    }
  }
  return out;
}

/** Live members of one group, one pid per line. */
export function groupScript(pgid: number): string {
  return (
    PREAMBLE +
    RD +
    `g=${int(pgid, 'process group')}\n` +
    'for s in /proc/[0-9]*/stat; do rd 2>/dev/null < "$s" || continue; r=${c##*) }; set -- $r; [ "$3" = "$g" ] && [ "$1" != Z ] && { q=${s#/proc/}; echo "${q%/stat}"; }; done\n' +
    'exit 0\n'
  );
}

export function killScript(pgid: number, sigName: string): string {
  if (!/^[A-Z0-9]+$/.test(sigName)) throw new Error(`signal ${sigName}`);
  return `kill -${sigName} -${int(pgid, 'process group')} 2>/dev/null; exit 0\n`;
}

/** Each program's absolute path (executable regular file) on its own line, or an empty line. */
export function whichScript(programs: readonly string[]): string {
  if (programs.length === 0) return 'exit 0\n';
  return (
    PREAMBLE +
    `for p in ${shCommand(programs)}; do\n` +
    '  found=\n' +
    '  case $p in\n' +
    '  */*) [ -f "$p" ] && [ -x "$p" ] && found=$p ;;\n' +
    '  *) IFS=:; for d in $PATH; do [ -f "$d/$p" ] && [ -x "$d/$p" ] && { found=$d/$p; break; }; done; unset IFS ;;\n' +
    '  esac\n' +
    '  printf "%s\\n" "$found"\n' +
    'done\n'
  );
}

export function listDirScript(path: string): string {
  return `for e in ${shQuote(path)}/* ${shQuote(path)}/.[!.]*; do [ -e "$e" ] || [ -L "$e" ] || continue; printf "%s\\0" "\${e##*/}"; done; exit 0\n`;
}
