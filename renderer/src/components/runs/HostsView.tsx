// The hosts a run used (issue 15): what each one ran, what it is, its clock against the lab's and
// the route its load took. Absent for a run on this machine alone.
import type { RunResults } from '../../../../electron/engine/common/results';
import { formatBytes } from '../../format';

export function HostsView({ results }: { results: RunResults }) {
  const hosts = results.hosts ?? [];
  if (hosts.length === 0) return null;
  return (
    <figure className="hosts" data-testid="run-hosts">
      <figcaption>Hosts: where the server and the load generator ran</figcaption>
      <table className="grid compact">
        <thead>
          <tr>
            <th>host</th>
            <th>ran</th>
            <th>reached as</th>
            <th>machine</th>
            <th>kernel</th>
            <th>tools</th>
            <th>clock − lab</th>
            <th>route to the server</th>
            <th>check</th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => {
            const e = h.environment;
            const n = h.network_path;
            return (
              <tr key={h.name} data-host={h.name}>
                <td>
                  <strong>{h.name}</strong> <span className="muted">{h.kind}</span>
                </td>
                <td>{h.roles.join(', ')}</td>
                <td>
                  <code>{h.address}</code>
                </td>
                <td>{e ? `${e.cpu_model}, ${e.cpus} CPUs, ${formatBytes(e.memory_bytes)}` : '—'}</td>
                <td>{e?.kernel ?? '—'}</td>
                <td>
                  {e
                    ? Object.entries(e.tools)
                        .map(([t, v]) => `${t} ${v}`)
                        .join(' · ')
                    : '—'}
                </td>
                <td>{h.clock_offset ? `${h.clock_offset.offset_ms.toFixed(1)} ms ± ${h.clock_offset.uncertainty_ms.toFixed(1)}` : '—'}</td>
                <td>{n ? `${n.to} via ${n.interface} (${n.link_kind}${n.mtu ? `, MTU ${n.mtu}` : ''}${n.speed_mbps ? `, ${n.speed_mbps} Mb/s` : ''}) from ${n.source ?? '?'}` : '—'}</td>
                <td>{h.notes.join('; ') || '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
