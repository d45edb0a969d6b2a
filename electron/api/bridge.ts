// What the Electron preload script exposes to the renderer as `window.saioLab`, and nothing more:
// one call function and one event subscription. Types only (the preload script and the renderer
// each compile this away).
import type { LabEvent } from './contract';

/** The one IPC channel for calls (ipcRenderer.invoke → ipcMain.handle → dispatch). */
export const CALL_CHANNEL = 'lab:call';
/** The one IPC channel for events (main → renderer). */
export const EVENT_CHANNEL = 'lab:event';

export interface SaioLabBridge {
  /** Resolves with a Result (never rejects for API errors); rejects for unknown method names. */
  call(method: string, input: unknown): Promise<unknown>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (e: LabEvent) => void): () => void;
}
