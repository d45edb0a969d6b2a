// Engine events fan out to the stores that own them. One subscription for the whole page.
import type { LabEvent } from '../../../electron/api/contract';
import { useRuns } from '../stores/runs';
import { menu } from './actions';
import { lab } from './client';

export function connectEvents(): () => void {
  return lab().subscribe((e: LabEvent) => {
    const any = e as { type: string; command?: string };
    if (any.type === 'menu') {
      menu(any.command ?? '');
      return;
    }
    useRuns.getState().onEvent(e);
  });
}
