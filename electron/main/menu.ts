// The desktop menu. Items that need the UI (forms, file pickers) are forwarded to the renderer as
// a LabEvent `{ type: 'menu', command }`; Quit quits (a run in flight is cancelled and recorded).
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../api/contract';

export function menuTemplate(o: { send: (command: MenuCommand) => void; quit: () => void; devTools: boolean }): MenuItemConstructorOptions[] {
  const item = (label: string, command: MenuCommand, accelerator: string): MenuItemConstructorOptions => ({ label, accelerator, click: () => o.send(command) });
  return [
    {
      label: 'File',
      submenu: [
        item('New Notebook…', 'new', 'CmdOrCtrl+N'),
        item('Open Notebook…', 'open', 'CmdOrCtrl+O'),
        { type: 'separator' },
        item('Import Bundle…', 'import', 'CmdOrCtrl+I'),
        item('Export Bundle…', 'export', 'CmdOrCtrl+E'),
        { type: 'separator' },
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => o.quit() },
      ],
    },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'Run', submenu: [item('Run Notebook', 'run', 'F5')] },
    ...(o.devTools ? [{ label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }] } as MenuItemConstructorOptions] : []),
  ];
}
