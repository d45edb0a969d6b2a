// The lab window's size and position, kept in the lab's data directory (beside lab.db) so the
// window comes back where it was. A position on no current display is dropped.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 860, maximized: false };

const int = (v: unknown, min: number, max: number): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined);

export function loadWindowState(file: string, displays: readonly Rect[]): WindowState {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (raw === null || typeof raw !== 'object') return { ...DEFAULT_WINDOW_STATE };
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
  const state: WindowState = {
    width: int(raw.width, 400, 20000) ?? DEFAULT_WINDOW_STATE.width,
    height: int(raw.height, 300, 20000) ?? DEFAULT_WINDOW_STATE.height,
    maximized: raw.maximized === true,
  };
  const x = int(raw.x, -100000, 100000);
  const y = int(raw.y, -100000, 100000);
  // Keep the position only when the window's top-left area lands on a display that exists now.
  if (x !== undefined && y !== undefined && displays.some((d) => x + 50 >= d.x && y + 20 >= d.y && x + 50 <= d.x + d.width && y + 20 <= d.y + d.height)) {
    state.x = x;
    state.y = y;
  }
  return state;
}

export function saveWindowState(file: string, state: WindowState): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(state)}\n`);
    renameSync(tmp, file);
  } catch {
    // the window's place is a convenience: never fail over it
  }
}
