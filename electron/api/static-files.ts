// Serving the built renderer (dist/renderer/) to a browser (web mode) or to the desktop window
// (Electron's custom protocol): path resolution that cannot leave the root, content types, and the
// Content-Security-Policy both transports send.
import { realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { repoRoot } from '../engine/paths';

/**
 * The renderer's policy: nothing from elsewhere, no inline or eval'd script. plotly.js (basic)
 * injects <style> elements, hence 'unsafe-inline' for styles only; it needs no 'unsafe-eval'
 * (its bundle has no eval or new Function).
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'";

/** Headers every response of either transport carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentType(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Where `npm run build` puts the renderer. */
export function rendererDir(): string {
  return join(repoRoot(), 'dist', 'renderer');
}

/**
 * The file under `root` that a URL path names, or undefined: `/` is index.html; anything that
 * decodes to a path outside the root (`..`, encoded slashes, NUL, symlinks pointing out),
 * a directory, a dot-file or a missing file is undefined.
 */
export function resolveStatic(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\') || !path.startsWith('/')) return undefined;
  if (path.endsWith('/')) path += 'index.html';
  if (path.split('/').some((seg) => seg === '..' || (seg.startsWith('.') && seg !== '.'))) return undefined;
  let base: string;
  try {
    base = realpathSync(root);
  } catch {
    return undefined;
  }
  const candidate = resolve(base, `.${path}`);
  if (!candidate.startsWith(base + sep)) return undefined;
  try {
    const real = realpathSync(candidate);
    if (!real.startsWith(base + sep) || !statSync(real).isFile()) return undefined;
    return real;
  } catch {
    return undefined;
  }
}
