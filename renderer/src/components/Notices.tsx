import { useUi } from '../stores/ui';

export function Notices() {
  const notices = useUi((s) => s.notices);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} data-testid={`notice-${n.kind}`} onClick={() => useUi.getState().dismiss(n.id)}>
          {n.text}
        </div>
      ))}
    </div>
  );
}
