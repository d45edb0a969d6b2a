// Picks the transport once, at startup: inside the desktop app the preload exposes
// window.saioLab (IPC); anywhere else the page was served by `saio-lab serve` (HTTP + SSE, the
// access token travelling as a cookie).
import { createIpcClient, desktopBridge } from '../../../electron/api/ipc-client';
import { createWebClient } from '../../../electron/api/web-client';
import type { LabClient } from './client';

export function createTransport(): LabClient {
  const bridge = desktopBridge();
  return bridge ? createIpcClient(bridge) : createWebClient();
}
