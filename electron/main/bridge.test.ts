// The Electron bridge exposes exactly the typed API and nothing else. The Electron binary cannot
// run here, so the compiled preload script and main process are loaded with a fake `electron`
// module (a require hook) that records what they expose and register.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { methods } from '../api/contract';
import { CSP } from '../api/static-files';
import { loadWindowState, saveWindowState } from './window-state';

type Fn = (...args: unknown[]) => unknown;

/** Load a compiled module with `require('electron')` answered by `fake`. */
function loadWith(fake: unknown, file: string): unknown {
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = mod._load;
  mod._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'electron') return fake;
    return original.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[require.resolve(file)];
    return require(file);
  } finally {
    mod._load = original;
  }
}

// ---- the preload script ---------------------------------------------------------------------

function fakeRenderer() {
  const exposed: [string, unknown][] = [];
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<Fn>>();
  return {
    exposed,
    invoked,
    listeners,
    electron: {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.push([key, api]) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return { ok: true, value: 'from main' };
        },
        on: (channel: string, l: Fn) => {
          if (!listeners.has(channel)) listeners.set(channel, new Set());
          listeners.get(channel)!.add(l);
        },
        removeListener: (channel: string, l: Fn) => listeners.get(channel)?.delete(l),
        send: () => assert.fail('the preload script never uses send'),
        sendSync: () => assert.fail('the preload script never uses sendSync'),
      },
    },
  };
}

test('preload exposes exactly window.saioLab = { call, subscribe }', async () => {
  const f = fakeRenderer();
  loadWith(f.electron, join(__dirname, 'preload.js'));
  assert.equal(f.exposed.length, 1, 'one exposeInMainWorld call');
  const [key, api] = f.exposed[0]!;
  assert.equal(key, 'saioLab');
  assert.deepEqual(Object.keys(api as object).sort(), ['call', 'subscribe']);
  for (const v of Object.values(api as object)) assert.equal(typeof v, 'function');
});

test('call goes through lab:call only, and only for the contract’s methods', async () => {
  const f = fakeRenderer();
  loadWith(f.electron, join(__dirname, 'preload.js'));
  const api = f.exposed[0]![1] as { call: (m: string, i: unknown) => Promise<unknown> };
  for (const m of methods) {
    assert.deepEqual(await api.call(m, { x: 1 }), { ok: true, value: 'from main' });
  }
  assert.deepEqual(
    f.invoked.map((a) => a[0]),
    methods.map(() => 'lab:call'),
  );
  assert.deepEqual(
    f.invoked.map((a) => a[1]),
    [...methods],
  );
  assert.deepEqual(f.invoked[0]![2], { x: 1 });
  assert.ok(f.invoked.every((a) => a.length === 3));
  const before = f.invoked.length;
  for (const bad of ['nope', '__proto__', 'constructor', 'notebooks', '', 42, null]) {
    await assert.rejects(api.call(bad as string, {}), /unknown method/);
  }
  assert.equal(f.invoked.length, before, 'unknown methods never reach IPC');
});

test('preload’s method list is the contract’s, in full', () => {
  const text = readFileSync(join(__dirname, 'preload.js'), 'utf8');
  const listed = [...text.matchAll(/'([a-z]+\.[a-zA-Z]+)'/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(listed)].sort(), [...methods].sort());
  // Sandboxed preload scripts can require nothing but 'electron' (and a few built-ins).
  const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual(requires, ['electron']);
});

test('subscribe listens on lab:event only, hands over the event alone, and unsubscribes', () => {
  const f = fakeRenderer();
  loadWith(f.electron, join(__dirname, 'preload.js'));
  const api = f.exposed[0]![1] as { subscribe: (l: (e: unknown) => void) => () => void };
  const got: unknown[][] = [];
  const off = api.subscribe((...args) => got.push(args));
  assert.deepEqual([...f.listeners.keys()], ['lab:event']);
  const [l] = [...f.listeners.get('lab:event')!];
  l!({ sender: 'the IPC event must not leak' }, { type: 'menu', command: 'run' });
  assert.deepEqual(got, [[{ type: 'menu', command: 'run' }]]);
  off();
  assert.equal(f.listeners.get('lab:event')!.size, 0);
  assert.throws(() => api.subscribe('not a function' as never), /needs a function/);
});

// ---- the main process -----------------------------------------------------------------------

const dataDir = mkdtempSync(join(tmpdir(), 'saio-main-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function fakeMain() {
  const rec = {
    handle: [] as [string, Fn][],
    ipcOther: [] as string[],
    appEvents: new Map<string, Fn[]>(),
    windows: [] as { opts: Record<string, unknown>; url?: string; sent: unknown[][] }[],
    menu: [] as Record<string, unknown>[],
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (r: Request) => Response>(),
    quits: 0,
  };
  class BrowserWindow {
    rec: { opts: Record<string, unknown>; url?: string; sent: unknown[][] };
    webContents: Record<string, Fn>;
    constructor(opts: Record<string, unknown>) {
      this.rec = { opts, sent: [] };
      rec.windows.push(this.rec);
      this.webContents = {
        send: (...args: unknown[]) => this.rec.sent.push(args),
        setWindowOpenHandler: () => {},
        on: () => {},
      };
    }
    once() {}
    on() {}
    maximize() {}
    isDestroyed() {
      return false;
    }
    isMaximized() {
      return false;
    }
    getNormalBounds() {
      return { x: 0, y: 0, width: 800, height: 600 };
    }
    async loadURL(url: string) {
      this.rec.url = url;
    }
  }
  const electron = {
    app: {
      isPackaged: false,
      requestSingleInstanceLock: () => true,
      on: (name: string, fn: Fn) => rec.appEvents.set(name, [...(rec.appEvents.get(name) ?? []), fn]),
      whenReady: () => Promise.resolve(),
      quit: () => void rec.quits++,
      exit: () => assert.fail('main should not exit'),
    },
    BrowserWindow,
    ipcMain: {
      handle: (channel: string, fn: Fn) => rec.handle.push([channel, fn]),
      handleOnce: (c: string) => rec.ipcOther.push(`handleOnce ${c}`),
      on: (c: string) => rec.ipcOther.push(`on ${c}`),
      once: (c: string) => rec.ipcOther.push(`once ${c}`),
    },
    Menu: {
      buildFromTemplate: (t: Record<string, unknown>[]) => {
        rec.menu = t;
        return t;
      },
      setApplicationMenu: () => {},
    },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown) => rec.schemes.push(s),
      handle: (scheme: string, fn: (r: Request) => Response) => rec.protocolHandlers.set(scheme, fn),
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: { defaultSession: { webRequest: { onHeadersReceived: () => {} }, setPermissionRequestHandler: () => {} } },
  };
  return { rec, electron };
}

test('main registers exactly the lab:call handler, opens a locked-down window, forwards events, and quits cleanly', async () => {
  const env = process.env.SAIO_LAB_DB;
  process.env.SAIO_LAB_DB = join(dataDir, 'lab.db');
  const signalListeners = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
  const { rec, electron } = fakeMain();
  try {
    loadWith(electron, join(__dirname, 'main.js'));
    for (let i = 0; i < 50 && rec.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 10));

    assert.deepEqual(
      rec.handle.map(([c]) => c),
      ['lab:call'],
      'one invoke channel',
    );
    assert.deepEqual(rec.ipcOther, [], 'no other IPC listener');

    assert.equal(rec.windows.length, 1);
    const w = rec.windows[0]!;
    const prefs = w.opts.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.preload, join(__dirname, 'preload.js'));
    assert.ok(existsSync(prefs.preload as string));
    assert.equal(w.url, 'saio-lab://app/index.html');

    // The handler: dispatch for our page, refusal for anyone else.
    const handler = rec.handle[0]![1];
    const ours = { senderFrame: { url: 'saio-lab://app/index.html' } };
    const shipped = (await handler(ours, 'experiments.shipped', {})) as { ok: boolean; value: { file: string }[] };
    assert.ok(shipped.ok && shipped.value.some((s) => s.file === 'quickstart.json'));
    const bad = (await handler(ours, 'notebooks.get', { ref: 7 })) as { ok: boolean; error: { code: string; errors: { path: string }[] } };
    assert.equal(bad.error.code, 'invalid_input');
    assert.equal(bad.error.errors[0]?.path, 'ref');
    assert.equal(((await handler(ours, 'no.such', {})) as { ok: boolean }).ok, false);
    const foreign = (await handler({ senderFrame: { url: 'https://evil.example/' } }, 'experiments.shipped', {})) as { ok: boolean; error: { message: string } };
    assert.ok(!foreign.ok && /lab window only/.test(foreign.error.message));

    // The renderer is served by the custom protocol with the CSP, and nothing outside it.
    const serve = rec.protocolHandlers.get('saio-lab')!;
    const outside = serve(new Request('saio-lab://app/../../package.json'));
    assert.equal(outside.status, 404);
    assert.equal(outside.headers.get('content-security-policy'), CSP);
    assert.equal(serve(new Request('saio-lab://other/index.html')).status, 404);

    // Menu: New, Open, Import, Export, Run reach the renderer as LabEvents on lab:event; Quit quits.
    const items = rec.menu.flatMap((m) => (m.submenu as Record<string, unknown>[]) ?? []).filter((i) => typeof i.label === 'string');
    const labels = items.map((i) => i.label as string);
    for (const l of ['New', 'Open', 'Import', 'Export', 'Run', 'Quit'])
      assert.ok(
        labels.some((x) => x.startsWith(l)),
        l,
      );
    (items.find((i) => (i.label as string).startsWith('Run'))!.click as Fn)();
    (items.find((i) => (i.label as string).startsWith('Import'))!.click as Fn)();
    assert.deepEqual(w.sent, [
      ['lab:event', { type: 'menu', command: 'run' }],
      ['lab:event', { type: 'menu', command: 'import' }],
    ]);
    (items.find((i) => i.label === 'Quit')!.click as Fn)();
    assert.equal(rec.quits, 1);

    // before-quit: held until the lab has shut down, then quits for real.
    let prevented = 0;
    for (const fn of rec.appEvents.get('before-quit') ?? []) fn({ preventDefault: () => prevented++ });
    assert.equal(prevented, 1);
    for (let i = 0; i < 50 && rec.quits < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(rec.quits, 2);
    prevented = 0;
    for (const fn of rec.appEvents.get('before-quit') ?? []) fn({ preventDefault: () => prevented++ });
    assert.equal(prevented, 0, 'the second quit goes through');
  } finally {
    if (env === undefined) delete process.env.SAIO_LAB_DB;
    else process.env.SAIO_LAB_DB = env;
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      for (const l of process.listeners(sig)) if (!signalListeners[sig].includes(l)) process.off(sig, l);
    }
  }
});

test('window state: saved beside the lab, a position off every display is dropped', () => {
  const file = join(dataDir, 'ws', 'window-state.json');
  const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  assert.deepEqual(loadWindowState(file, displays), { width: 1280, height: 860, maximized: false });
  saveWindowState(file, { x: 100, y: 50, width: 1000, height: 700, maximized: true });
  assert.deepEqual(loadWindowState(file, displays), { x: 100, y: 50, width: 1000, height: 700, maximized: true });
  saveWindowState(file, { x: 5000, y: 50, width: 1000, height: 700, maximized: false });
  assert.deepEqual(loadWindowState(file, displays), { width: 1000, height: 700, maximized: false });
});
