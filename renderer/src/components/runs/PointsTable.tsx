// Every point of a run, every repeat (and the capacity probes a rate sweep ran first), with its
// verification, errors and the load generator's warnings.
import type { PointRecord } from '../../../../electron/engine/model';
import { withAccel, type Accel } from '../../../../electron/engine/common/accel';
import { LATENCY_COLUMNS, METRICS } from '../../../../electron/engine/common/metrics';
import { formatCount, formatLatencyUs, formatRate } from '../../format';

function rate(p: PointRecord): string {
  if (p.kind === 'probe') return 'capacity probe';
  if (p.rate_per_s === null) return p.rate_of_capacity === null ? 'closed' : `${p.rate_of_capacity}× cap`;
  return `${formatRate(p.rate_per_s)}${p.rate_of_capacity !== null ? ` (${p.rate_of_capacity}× cap)` : ''}`;
}

export function PointsTable({ points, accel = null }: { points: PointRecord[]; accel?: Accel | null }) {
  return (
    <table className="grid compact points" data-testid="points">
      <thead>
        <tr>
          <th>#</th>
          <th>backend</th>
          <th>workers</th>
          <th>conn</th>
          <th>rate asked</th>
          <th>repeat</th>
          <th>status</th>
          <th className="num">offered/s</th>
          <th className="num">req/s</th>
          {LATENCY_COLUMNS.map((m) => (
            <th key={m} className="num">
              {METRICS[m].short}
            </th>
          ))}
          <th className="num">errors</th>
          <th className="num" title="server CPU seconds over the measured phase: its threads, libsaio's kernel workers, SQPOLL and io-wq">
            server CPU
          </th>
          <th className="num" title="requests per server CPU second">
            req/CPU-s
          </th>
          <th>verified</th>
          <th>warnings</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.id} className={`${p.status !== 'ok' ? 'bad-row' : ''}${p.warnings.length ? ' warn-row' : ''}${p.kind === 'probe' ? ' probe-row' : ''}`} title={p.reason ?? ''} data-seq={p.seq}>
            <td>{p.seq}</td>
            <td>{withAccel(p.backend, accel)}</td>
            <td>{p.workers}</td>
            <td>{p.connections}</td>
            <td>{rate(p)}</td>
            <td>{p.kind === 'probe' ? '' : p.repeat}</td>
            <td>
              <span className={`status status-${p.status}`}>{p.status}</span>
            </td>
            <td className="num">{formatRate(p.offered_per_s)}</td>
            <td className="num">{formatRate(p.requests_per_s)}</td>
            {LATENCY_COLUMNS.map((m) => (
              <td key={m} className="num">
                {formatLatencyUs(p[m])}
              </td>
            ))}
            <td className="num">{p.errors ?? '—'}</td>
            <td
              className="num"
              title={
                p.cpu
                  ? p.cpu.threads
                      .slice(0, 8)
                      .map((t) => `${t.comm} (${t.class}${t.host ? ` on ${t.host}` : ''}): ${t.total_s.toFixed(2)} s`)
                      .join('\n')
                  : 'not measured'
              }
            >
              {p.cpu ? `${p.cpu.server_s.toFixed(2)} s` : '—'}
            </td>
            <td className="num">{formatRate(p.requests_per_cpu_s)}</td>
            <td
              title={
                p.verification
                  ? `${formatCount(p.verification.responses_checked)} responses checked${p.verification.after ? `; ${p.verification.after.check}: ${p.verification.after.ok ? 'as expected' : `found ${p.verification.after.found ?? 'no answer'}`}` : ''}`
                  : ''
              }
            >
              {p.verified ? '✓' : '✗'} {p.verification ? formatCount(p.verification.responses_checked) : ''}
            </td>
            <td className="warnings" data-testid={p.warnings.length ? 'point-warning' : undefined}>
              {p.warnings.length > 0 && <span title={p.warnings.join('\n')}>⚠ {p.warnings.join('; ')}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
