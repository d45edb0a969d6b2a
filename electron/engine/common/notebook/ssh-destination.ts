// An ssh destination as the notebook gives it and as ssh is handed it: parsed in one place, so the
// notebook's validation (here, also in the UI) and engine/hosts/ssh.ts agree on what is accepted.
export interface Destination {
  user: string | null;
  host: string;
  port: number | null;
  /** Exactly what is passed to ssh. */
  arg: string;
}

/**
 * "ssh://user@host:port", "user@host" or a Host alias of ~/.ssh/config. The value becomes an
 * argument of ssh (after "--"), so it is checked: no option-like or shell-like characters.
 */
export function parseDestination(text: string): Destination {
  const m = /^(?:ssh:\/\/)?(?:([A-Za-z0-9._][A-Za-z0-9._-]{0,63})@)?([A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/.exec(text);
  if (!m || text.startsWith('-')) {
    throw new Error(`host address ${JSON.stringify(text)}: expected ssh://user@host[:port], user@host or a Host name from ~/.ssh/config`);
  }
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) throw new Error(`host address ${JSON.stringify(text)}: port ${port} is not 1-65535`);
  const host = m[2] as string;
  const user = m[1] ?? null;
  // ssh understands the URI form itself (OpenSSH ≥ 7.7); a bare user@host needs no rewriting.
  const arg = text.startsWith('ssh://') || port !== null ? `ssh://${user ? `${user}@` : ''}${host}${port !== null ? `:${port}` : ''}` : text;
  return { user, host, port, arg };
}
