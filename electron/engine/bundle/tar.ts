// A minimal POSIX ustar writer and a strict reader. Bundles hold regular files only, so the
// reader refuses everything else (links, devices, directories, GNU/pax extensions) instead of
// interpreting it: an archive we did not write the way we write it is not trusted.

export const BLOCK = 512;
const NAME_MAX = 100;
const PREFIX_MAX = 155;

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

export interface TarFile {
  path: string;
  data: Buffer;
}

/** Header fields a writer may set; `type` and `linkname` exist so tests can forge bad entries. */
export interface TarHeaderFields {
  path: string;
  size: number;
  mtime?: number;
  type?: string;
  linkname?: string;
}

function writeString(block: Buffer, offset: number, length: number, value: string, what: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new TarError(`${what} "${value}" is longer than ${length} bytes`);
  bytes.copy(block, offset);
}

/** Octal, zero-padded, NUL-terminated: the classic ustar number encoding. */
function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1) throw new TarError(`value ${value} does not fit a ${length}-byte tar field`);
  block.write(`${digits}\0`, offset, length, 'ascii');
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

export function tarHeader(h: TarHeaderFields): Buffer {
  if (h.path.includes('\0')) throw new TarError(`tar path ${JSON.stringify(h.path)} contains NUL`);
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, NAME_MAX, h.path, 'tar path');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime ?? 0);
  block.write(h.type ?? '0', 156, 1, 'ascii');
  writeString(block, 157, 100, h.linkname ?? '', 'tar link name');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  // Checksum: six octal digits, NUL, space (computed with the field itself read as spaces).
  block.write(`${checksum(block).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** Regular files, in the order given, then the two zero blocks that end an archive. */
export function packTar(files: readonly TarFile[], mtime = 0): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(tarHeader({ path: f.path, size: f.data.length, mtime }), f.data, padding(f.data.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

// ---- reading -------------------------------------------------------------------------------

const isZero = (b: Buffer): boolean => b.every((x) => x === 0);

/** A NUL-terminated string field; bytes after the terminator must be NUL too (no hidden text). */
function readString(block: Buffer, offset: number, length: number, what: string): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  const used = end === -1 ? field : field.subarray(0, end);
  if (end !== -1 && !isZero(field.subarray(end))) throw new TarError(`${what} has bytes after its terminating NUL`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(used);
  } catch {
    throw new TarError(`${what} is not valid UTF-8`);
  }
}

/** Octal digits, optionally space-padded in front, ended by NUL or space; nothing else. */
function readOctal(block: Buffer, offset: number, length: number, what: string): number {
  const text = block.toString('latin1', offset, offset + length);
  const m = /^ *([0-7]+)[ \0]*$/.exec(text);
  if (!m?.[1]) throw new TarError(`${what} is not an octal number (${JSON.stringify(text)})`);
  return parseInt(m[1], 8);
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a directory',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

/**
 * Every file of a ustar archive, in archive order. Refuses: a size not a multiple of 512, a bad
 * header checksum, a non-ustar header, any entry that is not a regular file, data running past
 * the end, non-zero padding, duplicate paths, a missing end-of-archive, and data after it.
 */
export function readTar(tar: Buffer): TarFile[] {
  if (tar.length % BLOCK !== 0) throw new TarError(`archive length ${tar.length} is not a multiple of ${BLOCK} bytes`);
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let at = 0;
  for (;;) {
    if (at + BLOCK > tar.length) throw new TarError('archive ends without its end-of-archive marker (two zero blocks)');
    const block = tar.subarray(at, at + BLOCK);
    if (isZero(block)) {
      if (at + 2 * BLOCK > tar.length || !isZero(tar.subarray(at + BLOCK, at + 2 * BLOCK))) {
        throw new TarError(`a lone zero block at offset ${at}: not a valid end-of-archive marker`);
      }
      if (!isZero(tar.subarray(at + 2 * BLOCK))) throw new TarError('data after the end-of-archive marker');
      return files;
    }
    const where = `tar header at offset ${at}`;
    const stored = readOctal(block, 148, 8, `${where}: checksum`);
    if (stored !== checksum(block)) throw new TarError(`${where}: checksum mismatch (stored ${stored}, computed ${checksum(block)})`);
    if (block.toString('latin1', 257, 265) !== 'ustar\u000000') throw new TarError(`${where}: not a POSIX ustar header`);
    const name = readString(block, 0, NAME_MAX, `${where}: name`);
    const prefix = readString(block, 345, PREFIX_MAX, `${where}: prefix`);
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const type = block.toString('latin1', 156, 157);
    if (type !== '0' && type !== '\0') {
      const what = TYPE_NAMES[type] ?? `an entry of unknown type ${JSON.stringify(type)}`;
      throw new TarError(`entry "${path}" is ${what}; only regular files are allowed`);
    }
    const size = readOctal(block, 124, 12, `${where}: size of "${path}"`);
    const start = at + BLOCK;
    const end = start + size;
    const padded = end + padding(size).length;
    if (padded > tar.length) throw new TarError(`entry "${path}" claims ${size} bytes but the archive ends first`);
    if (!isZero(tar.subarray(end, padded))) throw new TarError(`entry "${path}" has non-zero padding`);
    if (seen.has(path)) throw new TarError(`entry "${path}" appears twice`);
    seen.add(path);
    files.push({ path, data: Buffer.from(tar.subarray(start, end)) });
    at = padded;
  }
}
