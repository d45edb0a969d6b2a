// The desktop side: LabClient over `window.saioLab`, which electron/main/preload.ts exposes with
// contextBridge (one `lab:call` channel for calls, one `lab:event` channel for events). No Node
// modules: the renderer bundles this file.
import type { SaioLabBridge } from './bridge';
import type { Input, LabClient, LabEvent, Method, Result } from './contract';

/** The bridge, when this page runs inside the desktop app. */
export function desktopBridge(): SaioLabBridge | undefined {
  return (globalThis as { saioLab?: SaioLabBridge }).saioLab;
}

export function createIpcClient(bridge: SaioLabBridge | undefined = desktopBridge()): LabClient {
  if (!bridge) throw new Error('window.saioLab is missing: this page is not running in the SAIO Lab desktop app');
  return {
    async call<M extends Method>(method: M, input: Input<M>): Promise<Result<M>> {
      try {
        return (await bridge.call(method, input)) as Result<M>;
      } catch (e) {
        return { ok: false, error: { code: 'internal', message: (e as Error)?.message ?? String(e) } };
      }
    },
    subscribe(listener: (e: LabEvent) => void): () => void {
      return bridge.subscribe(listener);
    },
  };
}
