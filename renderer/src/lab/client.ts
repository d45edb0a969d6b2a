// The one place the renderer reaches the engine. The transport (IPC in Electron, HTTP + SSE in
// web mode) is chosen once at startup by transport.ts and installed here; stores call `call`.
import type { Input, LabClient, LabEvent, Method, Outputs, ApiError } from '../../../electron/api/contract';

export type { LabClient, LabEvent, Method, Input, Outputs, ApiError };

let current: LabClient | null = null;

export function setLab(client: LabClient): void {
  current = client;
}

export function lab(): LabClient {
  if (!current) throw new Error('the lab client is not set up (setLab was never called)');
  return current;
}

/** An engine error as an exception, keeping the structured error for the UI. */
export class LabCallError extends Error {
  constructor(
    readonly method: Method,
    readonly error: ApiError,
  ) {
    super(error.message);
    this.name = 'LabCallError';
  }
}

/** Call a method; resolves with its output, rejects with a LabCallError carrying the ApiError. */
export async function call<M extends Method>(method: M, input: Input<M>): Promise<Outputs[M]> {
  const r = await lab().call(method, input);
  if (!r.ok) throw new LabCallError(method, r.error);
  return r.value;
}

export function errorText(e: unknown): string {
  if (e instanceof LabCallError) return e.error.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
