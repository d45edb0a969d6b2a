// Every point of a run, every repeat, with its verification and errors.
import type { PointRecord } from '../../../../electron/engine/model';
import { formatLatencyUs, formatRate } from '../../format';

export function PointsTable({ points }: { points: PointRecord[] }) {
  return (
    <table className="grid compact points" data-testid="points">
      <thead>
        <tr>
          <th>#</th>
          <th>backend</th>
          <th>workers</th>
          <th>conn</th>
          <th>repeat</th>
          <th>status</th>
          <th className="num">req/s</th>
          <th className="num">p50</th>
          <th className="num">p90</th>
          <th className="num">p99</th>
          <th className="num">p99.9</th>
          <th className="num">max</th>
          <th className="num">errors</th>
          <th>verified</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.id} className={p.status !== 'ok' ? 'bad-row' : ''} title={p.reason ?? ''}>
            <td>{p.seq}</td>
            <td>{p.backend}</td>
            <td>{p.workers}</td>
            <td>{p.connections}</td>
            <td>{p.repeat}</td>
            <td>
              <span className={`status status-${p.status}`}>{p.status}</span>
            </td>
            <td className="num">{formatRate(p.requests_per_s)}</td>
            <td className="num">{formatLatencyUs(p.latency_p50_us)}</td>
            <td className="num">{formatLatencyUs(p.latency_p90_us)}</td>
            <td className="num">{formatLatencyUs(p.latency_p99_us)}</td>
            <td className="num">{formatLatencyUs(p.latency_p999_us)}</td>
            <td className="num">{formatLatencyUs(p.latency_max_us)}</td>
            <td className="num">{p.errors ?? '—'}</td>
            <td>{p.verified ? '✓' : '✗'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
