// Electron's preload script for the lab window (not the project's preload/ C library). It runs
// sandboxed, where `require` knows only 'electron' and a few built-ins, so it imports nothing else
// at run time: the channel names and method names are written out here, and the compiler checks
// them against the contract (type imports vanish from the output).
//
// It exposes exactly `window.saioLab = { call, subscribe }` and nothing else: no ipcRenderer, no
// channel names chosen by the page, no IPC event objects (their `sender` would leak).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { SaioLabBridge } from '../api/bridge';
import type { LabEvent, Method } from '../api/contract';

const CALL_CHANNEL = 'lab:call' satisfies typeof import('../api/bridge').CALL_CHANNEL;
const EVENT_CHANNEL = 'lab:event' satisfies typeof import('../api/bridge').EVENT_CHANNEL;

const METHODS = [
  'notebooks.list',
  'notebooks.get',
  'notebooks.create',
  'notebooks.validate',
  'notebooks.save',
  'notebooks.history',
  'notebooks.diff',
  'notebooks.restore',
  'experiments.shipped',
  'runs.list',
  'runs.get',
  'runs.artifacts',
  'runs.artifact',
  'runs.start',
  'runs.cancel',
  'runs.jobs',
  'runs.report',
  'bundles.export',
  'bundles.import',
] as const satisfies readonly Method[];

// Every method of the contract is listed: a method added there and not here fails to compile.
type Unlisted = Exclude<Method, (typeof METHODS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

const known = new Set<string>(METHODS);

const bridge: SaioLabBridge = {
  call(method: string, input: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !known.has(method)) {
      return Promise.reject(new Error(`unknown method "${String(method).slice(0, 100)}"`));
    }
    return ipcRenderer.invoke(CALL_CHANNEL, method, input);
  },
  subscribe(listener: (e: LabEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function');
    const onEvent = (_event: IpcRendererEvent, e: LabEvent) => listener(e);
    ipcRenderer.on(EVENT_CHANNEL, onEvent);
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, onEvent);
  },
};

contextBridge.exposeInMainWorld('saioLab', bridge);
