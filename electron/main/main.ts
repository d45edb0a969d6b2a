// The Electron main process, kept thin: it opens the lab, serves the built renderer through the
// `saio-lab://app/` protocol (with the CSP in the response headers), and carries the one API over
// ONE invoke channel (`lab:call` → dispatch) and ONE event channel (`lab:event`). Everything else
// is the engine's and the renderer's.
//
// Security: contextIsolation, sandbox, no nodeIntegration; the preload script exposes only
// `window.saioLab = { call, subscribe }`; calls are accepted only from our own pages; navigation,
// new windows and permission requests are refused.
//
// Shutdown is crash-safe: quitting (menu, window close, SIGTERM/SIGINT) first cancels a run in
// flight and waits until the runner has recorded it as cancelled, then closes the database. A
// lab killed outright is recovered at the next start (the run is marked interrupted).
import { app, BrowserWindow, ipcMain, Menu, protocol, screen, session, type IpcMainInvokeEvent } from 'electron';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Lab } from '../engine/lab';
import { defaultDbPath } from '../engine/locations';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../api/bridge';
import type { LabEvent } from '../api/contract';
import { createHandlers, dispatch } from '../api/handlers';
import { JobManager } from '../api/jobs';
import { contentType, rendererDir, resolveStatic, SECURITY_HEADERS } from '../api/static-files';
import { menuTemplate } from './menu';
import { loadWindowState, saveWindowState } from './window-state';

const SCHEME = 'saio-lab';
const ORIGIN = `${SCHEME}://app`;
const START_URL = `${ORIGIN}/index.html`;

// Must happen before `ready`: a standard, secure scheme gets an origin of its own ('self' in the CSP).
protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let lab: Lab | undefined;
let jobs: JobManager | undefined;
let win: BrowserWindow | null = null;
let shuttingDown: Promise<void> | undefined;
let closed = false;

const fromOurPage = (e: IpcMainInvokeEvent) => (e.senderFrame?.url ?? '').startsWith(`${ORIGIN}/`);

function serveRenderer(request: Request): Response {
  const url = new URL(request.url);
  const file = url.host === 'app' ? resolveStatic(rendererDir(), url.pathname) : undefined;
  if (!file) return new Response('not found', { status: 404, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' } });
  return new Response(readFileSync(file), { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': contentType(file) } });
}

function send(e: LabEvent): void {
  if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, e);
}

function createWindow(stateFile: string): BrowserWindow {
  const state = loadWindowState(
    stateFile,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const w = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    title: 'SAIO Lab',
    show: false,
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: join(__dirname, 'preload.js'),
    },
  });
  if (state.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  const remember = () => {
    if (w.isDestroyed()) return;
    const b = w.getNormalBounds();
    saveWindowState(stateFile, { x: b.x, y: b.y, width: b.width, height: b.height, maximized: w.isMaximized() });
  };
  let timer: NodeJS.Timeout | undefined;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(remember, 500);
  };
  w.on('resize', later);
  w.on('move', later);
  w.on('close', () => {
    clearTimeout(timer);
    remember();
    // Closing the window quits the app: stop a run in flight now (the quit waits for its record).
    if (jobs?.running()) void jobs.shutdown();
  });
  w.on('closed', () => {
    if (win === w) win = null;
  });
  w.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  w.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(`${ORIGIN}/`)) e.preventDefault();
  });
  void w.loadURL(START_URL);
  return w;
}

async function start(): Promise<void> {
  const dbPath = defaultDbPath();
  lab = new Lab(dbPath);
  for (const r of lab.recovered) {
    process.stderr.write(`saio-lab: run ${r.run_id.slice(0, 8)} was left running by a lab that died: marked interrupted (${r.points_recorded} points kept)\n`);
  }
  for (const h of await lab.recoverRemote()) process.stderr.write(`saio-lab: run ${h.run_id.slice(0, 8)} on ${h.line}\n`);
  jobs = new JobManager(lab, { pty: true });
  const handlers = createHandlers(lab, jobs);
  jobs.subscribe(send);

  protocol.handle(SCHEME, serveRenderer);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [SECURITY_HEADERS['Content-Security-Policy'] as string] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown) => {
    if (!fromOurPage(event)) return { ok: false, error: { code: 'invalid_input', message: 'calls are accepted from the lab window only' } };
    return dispatch(handlers, typeof method === 'string' ? method : String(method), input, (m, e) => process.stderr.write(`saio-lab: internal error in ${m}: ${(e as Error)?.stack ?? String(e)}\n`));
  });

  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate({ send: (command) => send({ type: 'menu', command }), quit: () => app.quit(), devTools: !app.isPackaged })));
  win = createWindow(join(dirname(dbPath), 'window-state.json'));
}

/** Cancel a run in flight, wait until it is recorded, close the database. Idempotent. */
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    try {
      await jobs?.shutdown();
    } finally {
      lab?.close();
      lab = undefined;
    }
  })();
  return shuttingDown;
}

if (!app.requestSingleInstanceLock()) {
  // Another window of the lab is open: it gets focus (below), this one leaves at once.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    void shutdown()
      .catch((e: unknown) => process.stderr.write(`saio-lab: shutdown: ${(e as Error)?.message ?? String(e)}\n`))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => app.quit());
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      process.stderr.write(`saio-lab: cannot start: ${(e as Error)?.stack ?? String(e)}\n`);
      closed = true;
      void shutdown().finally(() => app.exit(1));
    });
}
