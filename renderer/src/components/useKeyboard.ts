// Keys a researcher uses all day: Ctrl+S saves a revision, Ctrl+Enter runs, Alt+1-4 switch views,
// Ctrl+` shows the terminal panel.
import { useEffect } from 'react';
import { runNow, saveNow, showView } from '../lab/actions';
import { useUi, type View } from '../stores/ui';

const VIEWS: View[] = ['notebook', 'runs', 'compare', 'history'];

export function useKeyboard(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void saveNow();
      } else if (mod && e.key === 'Enter') {
        e.preventDefault();
        void runNow();
      } else if (mod && e.key === '`') {
        e.preventDefault();
        useUi.getState().togglePanel();
      } else if (e.altKey && !mod && /^[1-4]$/.test(e.key)) {
        e.preventDefault();
        showView(VIEWS[Number(e.key) - 1]!);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
