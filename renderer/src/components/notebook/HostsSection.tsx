// Where a notebook's processes may run (issue 15): the notebook's named hosts, each reached with
// the system's OpenSSH client, and per experiment cell the host of its server and of its load
// generator. "local" (this machine) is always there and is every role's default.
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ExperimentCell } from '../../../../electron/engine/common/notebook/schema';
import { getIn } from '../../stores/draft';
import { useEditor } from '../../stores/editor';
import { errorsAt, jsonPath } from '../../validation/paths';
import { Field } from '../fields/Field';
import { NumberInput, SelectInput, TextInput } from '../fields/inputs';
import { ErrorList } from './CellErrors';
import { useFieldMessages } from '../fields/useErrors';

type HostValue = string | { ssh: string; ssh_config?: string; address?: string } | { kind: 'qemu'; cpus?: number; memory_mb?: number; kernel?: string; accel?: string };

/** A new QEMU guest: what experiments/saio-kmod-guest.json uses. */
const NEW_GUEST = { kind: 'qemu' as const, cpus: 2, memory_mb: 2048, kernel: 'debian' };

function useHosts(): Record<string, HostValue> {
  return useEditor(useShallow((s) => (getIn(s.draft, ['hosts']) as Record<string, HostValue> | undefined) ?? {}));
}

function setHosts(hosts: Record<string, HostValue>): void {
  useEditor.getState().setField(['hosts'], Object.keys(hosts).length > 0 ? hosts : undefined);
}

/** The notebook-level hosts: one row per host, its ssh destination, config file and address. */
export function HostsSection() {
  const hosts = useHosts();
  const [name, setName] = useState('');
  const errors = useEditor(useShallow((s) => errorsAt(s.errors, 'hosts')));
  const names = Object.keys(hosts);
  const add = (guest = false) => {
    const n = name.trim();
    if (!n || n in hosts) return;
    setHosts({ ...hosts, [n]: guest ? { ...NEW_GUEST } : { ssh: '' } });
    setName('');
  };
  return (
    <fieldset className="hosts" data-testid="notebook-hosts">
      <legend>Hosts</legend>
      <p className="muted">
        <code>local</code> is this machine. Other hosts are reached with <code>ssh</code> as you configured it (keys, agent, jump hosts); a cell places its server and its load generator on them. A
        QEMU guest boots Debian's kernel with this machine's files shared read-only, for a cell placed wholly in it (saio-kmod and kTLS run there); under TCG its numbers are an emulated CPU's.
      </p>
      {names.map((n) => {
        const v = hosts[n] as HostValue;
        return (
          <div key={n} className="host-row" data-host={n}>
            <strong>{n}</strong>
            {typeof v === 'string' ? (
              <TextInput label="ssh" path={['hosts', n]} hint="ssh://user@host[:port], user@host or a Host of your ssh config" />
            ) : 'kind' in v ? (
              <>
                <span className="muted">QEMU guest</span>
                <NumberInput label="CPUs" path={['hosts', n, 'cpus']} hint="virtual CPUs (under TCG, each a thread here)" />
                <NumberInput label="memory" path={['hosts', n, 'memory_mb']} unit="MiB" hint="the guest's memory; its writable places live in it" />
                <TextInput label="kernel" path={['hosts', n, 'kernel']} hint='"debian" (the newest Debian kernel with headers here) or /boot/vmlinuz-VERSION' />
                <SelectInput label="accel" path={['hosts', n, 'accel']} hint="auto: KVM when a short boot probe succeeds, else TCG" options={[{ value: 'auto' }, { value: 'kvm' }, { value: 'tcg' }]} />
              </>
            ) : (
              <>
                <TextInput label="ssh" path={['hosts', n, 'ssh']} hint="ssh://user@host[:port], user@host or a Host of your ssh config" />
                <TextInput label="ssh config" path={['hosts', n, 'ssh_config']} optional wide hint="a file used instead of ~/.ssh/config (ssh -F)" />
                <TextInput label="address" path={['hosts', n, 'address']} optional hint="IPv4 the other hosts reach it at; default: what ssh resolves the name to" />
              </>
            )}
            <button
              className="small"
              onClick={() => {
                const { [n]: _gone, ...rest } = hosts;
                setHosts(rest);
              }}
            >
              remove
            </button>
          </div>
        );
      })}
      <div className="host-add">
        <input name="new-host" placeholder="host name (srv, gen1, …)" value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && add()} />
        <button className="small" onClick={() => add()} disabled={!name.trim() || name.trim() in hosts}>
          + host
        </button>
        <button className="small" onClick={() => add(true)} disabled={!name.trim() || name.trim() in hosts}>
          + QEMU guest
        </button>
      </div>
      <ErrorList errors={errors} />
    </fieldset>
  );
}

function HostSelect({ label, path, value, onChange, names }: { label: string; path: string; value: string; onChange: (v: string) => void; names: string[] }) {
  const messages = useFieldMessages(path);
  const options = ['local', ...names];
  return (
    <Field label={label} path={path} messages={messages}>
      <select name={path} value={value} aria-invalid={messages.length > 0} onChange={(e) => onChange(e.target.value)}>
        {!options.includes(value) && <option value={value}>{value} (not in hosts)</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o === 'local' ? 'local (this machine)' : o}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A cell's placement: which host runs its server and which its load generator. */
export function CellHostsFields({ index, cell }: { index: number; cell: ExperimentCell }) {
  const hosts = useHosts();
  const names = Object.keys(hosts);
  const isGuest = (h: string | undefined) => {
    const v = h === undefined ? undefined : hosts[h];
    return typeof v === 'object' && 'kind' in v;
  };
  const set = (key: 'server_host' | 'driver_hosts', v: string) => {
    const value = v === 'local' ? undefined : key === 'driver_hosts' ? [v] : v;
    useEditor.getState().setField(['cells', index, key], value);
    // A guest holds a cell wholly: its server and its load generator move in (or out) together.
    const other = key === 'server_host' ? 'driver_hosts' : 'server_host';
    const otherNow = key === 'server_host' ? cell.driver_hosts?.[0] : cell.server_host;
    if (isGuest(v) || isGuest(otherNow)) useEditor.getState().setField(['cells', index, other], v === 'local' ? undefined : other === 'driver_hosts' ? [v] : v);
  };
  return (
    <>
      <HostSelect label="server host" path={jsonPath(['cells', index, 'server_host'])} value={cell.server_host ?? 'local'} onChange={(v) => set('server_host', v)} names={names} />
      <HostSelect label="load host" path={jsonPath(['cells', index, 'driver_hosts'])} value={cell.driver_hosts?.[0] ?? 'local'} onChange={(v) => set('driver_hosts', v)} names={names} />
    </>
  );
}
