// Quoting for the remote side of SSH. OpenSSH sends one command string, and sshd hands it to the
// remote user's login shell (`$SHELL -c STRING`), which may be bash with its rc files, dash, zsh,
// fish or csh. So a command is built in two steps:
//   1. shCommand(argv): a POSIX sh command line in which every argument is single-quoted, so that
//      no character of an argument (notebook text, a path, a hostile string) is ever read as syntax;
//   2. loginShellCommand(script): that sh script, base64-encoded, inside a wrapper made only of
//      characters that every one of those shells reads the same way (no backslash, no "!", no
//      newline inside its quotes), which decodes it and runs it under /bin/sh.
// Nothing built from notebook text is ever put into a command any other way.

/** One argument, quoted for POSIX sh: inside single quotes nothing is special but the quote itself. */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument with a NUL byte cannot be passed to a program (argv strings end at NUL)');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A POSIX sh command line that runs `argv` exactly (argv[0] looked up in PATH as execvp does). */
export function shCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('an empty argv runs nothing');
  return argv.map(shQuote).join(' ');
}

/** `NAME='value'` for sh; names are checked, because a name cannot be quoted. */
export function shAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`environment variable name ${JSON.stringify(name)}: expected letters, digits and "_", not starting with a digit`);
  return `${name}=${shQuote(value)}`;
}

/**
 * The command string given to ssh: runs `script` under the remote /bin/sh whatever the login
 * shell is. The payload is base64 ([A-Za-z0-9+/=]), so the only characters the login shell sees
 * are the wrapper's own.
 */
export function loginShellCommand(script: string): string {
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  return `exec /bin/sh -c 'eval "$(echo ${b64} | base64 -d)"'`;
}
