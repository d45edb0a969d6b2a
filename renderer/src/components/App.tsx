import { useEffect } from 'react';
import { connectEvents } from '../lab/events';
import { useNotebooks } from '../stores/notebooks';
import { Notices } from './Notices';
import { BottomPanel } from './panel/BottomPanel';
import { Sidebar } from './sidebar/Sidebar';
import { useKeyboard } from './useKeyboard';
import { Workspace } from './Workspace';

export function App() {
  useKeyboard();
  useEffect(() => {
    const off = connectEvents();
    void useNotebooks.getState().refresh();
    void useNotebooks.getState().loadShipped();
    return off;
  }, []);
  return (
    <div className="app">
      <Sidebar />
      <div className="right">
        <Workspace />
        <BottomPanel />
      </div>
      <Notices />
    </div>
  );
}
