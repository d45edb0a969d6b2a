// The bottom panel: run progress over the live terminal. Ctrl+` shows or hides it.
import { useTerminal } from '../../stores/terminal';
import { useUi } from '../../stores/ui';
import { JobProgress } from './JobProgress';
import { TerminalPane } from './TerminalPane';

export function BottomPanel() {
  const open = useUi((s) => s.panelOpen);
  const bytes = useTerminal((s) => s.bytes);
  return (
    <div className={`panel${open ? '' : ' closed'}`}>
      <div className="panel-head">
        <JobProgress />
        <span className="spacer" />
        <span className="muted">{(bytes / 1024).toFixed(0)} KiB output</span>
        <button className="small" onClick={() => useTerminal.getState().clear()}>
          Clear
        </button>
        <button className="small" title="Ctrl+`" onClick={() => useUi.getState().togglePanel()}>
          {open ? 'Hide' : 'Show'}
        </button>
      </div>
      {open && <TerminalPane />}
    </div>
  );
}
