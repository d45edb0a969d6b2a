// An experiment cell as a form: every field of the schema, each with its errors beside it. What
// the protocol and the driver take depends on which they are: choosing another server brings its
// protocol's settings, choosing another driver brings that driver's settings.
import { backendNames } from '../../../../electron/engine/common/backends/catalog';
import { driverInfo, DRIVERS, defaultDriverSettings } from '../../../../electron/engine/common/drivers/catalog';
import type { ExperimentCell } from '../../../../electron/engine/common/notebook/schema';
import { defaultProtocolSettings, KV_WORKLOADS } from '../../../../electron/engine/common/protocols/catalog';
import { SERVERS, serverInfo } from '../../../../electron/engine/common/servers/catalog';
import { getIn } from '../../stores/draft';
import { useEditor } from '../../stores/editor';
import { CheckboxInput, NameListInput, NumberInput, NumberListInput, SelectInput, TextInput } from '../fields/inputs';
import { Field } from '../fields/Field';
import { useFieldMessages } from '../fields/useErrors';
import { jsonPath } from '../../validation/paths';
import { CellHostsFields } from './HostsSection';

/** Every path the form shows, relative to the cell: errors elsewhere go to the cell's header. */
export const EXPERIMENT_FIELDS = [
  'id',
  'title',
  'server.kind',
  'server.workers',
  'server.extra_config',
  'protocol.kind',
  'protocol.file_size',
  'protocol.keep_alive',
  'protocol.workload',
  'protocol.get_fraction',
  'protocol.keys',
  'protocol.key_size',
  'protocol.value_size',
  'backends',
  'driver.kind',
  'driver.threads',
  'driver.timeout_s',
  'driver.verify',
  'driver.arrivals',
  'driver.depth',
  'driver.pipeline',
  'sweep.connections',
  'sweep.workers',
  'sweep.rate',
  'duration_s',
  'warmup_s',
  'repeats',
  'repeats.min',
  'repeats.max',
  'repeats.target_ci',
  'reference',
  'pinning.server',
  'pinning.driver',
  'server_host',
  'driver_hosts',
  'quick.duration_s',
  'quick.warmup_s',
  'quick.repeats',
] as const;

function useCell(index: number): ExperimentCell | undefined {
  return useEditor((s) => getIn(s.draft, ['cells', index]) as ExperimentCell | undefined);
}

function setCell(index: number, cell: ExperimentCell): void {
  useEditor.getState().setField(['cells', index], cell);
}

/** The server, and with it the protocol it speaks (and a driver that speaks it, if the current one does not). */
function ServerKindInput({ index, cell }: { index: number; cell: ExperimentCell }) {
  const path = ['cells', index, 'server', 'kind'];
  const p = jsonPath(path);
  const messages = useFieldMessages(p);
  const known = SERVERS.some((s) => s.kind === cell.server.kind);
  return (
    <Field label="kind" path={p} messages={messages} hint="the server program; it decides the protocol">
      <select
        name={p}
        value={cell.server.kind}
        aria-invalid={messages.length > 0}
        onChange={(e) => {
          const info = serverInfo(e.target.value);
          if (!info) return;
          const next: ExperimentCell = { ...cell, server: { ...cell.server, kind: info.kind } };
          if (cell.protocol.kind !== info.protocol) next.protocol = defaultProtocolSettings(info.protocol);
          if (!driverInfo(cell.driver.kind)?.protocols.includes(info.protocol)) next.driver = defaultDriverSettings('saio-load', cell.driver.threads);
          setCell(index, next);
        }}
      >
        {!known && <option value={cell.server.kind}>{cell.server.kind} (unknown)</option>}
        {SERVERS.map((s) => (
          <option key={s.kind} value={s.kind}>
            {s.kind} ({s.protocol})
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The driver, with that driver's own settings (threads kept). */
function DriverKindInput({ index, cell }: { index: number; cell: ExperimentCell }) {
  const path = ['cells', index, 'driver', 'kind'];
  const p = jsonPath(path);
  const messages = useFieldMessages(p);
  const info = driverInfo(cell.driver.kind);
  return (
    <Field label="driver" path={p} messages={messages} {...(info ? { hint: info.summary } : {})}>
      <select name={p} value={cell.driver.kind} aria-invalid={messages.length > 0} onChange={(e) => setCell(index, { ...cell, driver: defaultDriverSettings(e.target.value, cell.driver.threads) })}>
        {DRIVERS.map((d) => (
          <option key={d.kind} value={d.kind}>
            {d.kind} ({d.protocols.join(', ')}
            {d.openLoop ? '; open loop' : '; closed loop'})
          </option>
        ))}
      </select>
    </Field>
  );
}

type RateMode = 'closed' | 'rates' | 'capacity';

/** The rate axis: closed loop, fixed rates (requests/s), or fractions of a capacity measured first. */
function RateInput({ index, cell }: { index: number; cell: ExperimentCell }) {
  const path = ['cells', index, 'sweep', 'rate'];
  const p = jsonPath(path);
  const r = cell.sweep.rate;
  const mode: RateMode = r === undefined ? 'closed' : Array.isArray(r) ? 'rates' : 'capacity';
  const listPath = mode === 'capacity' ? [...path, 'of_capacity'] : path;
  const setRate = (rate: unknown) => setCell(index, { ...cell, sweep: { ...cell.sweep, rate: rate as ExperimentCell['sweep']['rate'] } });
  const modeMessages = useFieldMessages(p);
  return (
    <>
      {/* Errors about the rate as a whole show here with fractions of capacity; with fixed rates the list field shows them. */}
      <Field
        label="load"
        path={mode === 'capacity' ? p : `${p}:mode`}
        messages={mode === 'capacity' ? modeMessages : []}
        hint="closed loop: send when a response arrives; open loop: send on a schedule, at fixed rates"
      >
        <select
          name={`${p}:mode`}
          value={mode}
          onChange={(e) => {
            const m = e.target.value as RateMode;
            if (m === 'closed') setRate(undefined);
            else if (m === 'rates') setRate(Array.isArray(r) ? r : [1000, 5000, 10000]);
            else setRate({ of_capacity: [0.1, 0.3, 0.5, 0.7, 0.9] });
          }}
        >
          <option value="closed">closed loop</option>
          <option value="rates">open loop at fixed rates</option>
          <option value="capacity">open loop at fractions of capacity</option>
        </select>
      </Field>
      {mode === 'rates' && <NumberListInput label="rates" path={listPath} hint="requests/s of all connections together, comma-separated" />}
      {mode === 'capacity' && (
        <>
          <NumberListInput label="of capacity" path={listPath} hint="fractions of the capacity a closed-loop probe measures first (0.5: half of it)" />
          <NumberInput label="probe" path={[...path, 'probe_s']} unit="s" optional hint="length of each capacity probe (default 2 s)" />
        </>
      )}
    </>
  );
}

function ProtocolFields({ index, cell }: { index: number; cell: ExperimentCell }) {
  const at = (...rest: (string | number)[]) => ['cells', index, 'protocol', ...rest];
  const pr = cell.protocol;
  if (pr.kind === 'http') {
    return (
      <>
        <NumberInput label="file size" path={at('file_size')} unit="bytes" hint="one file of random bytes; every response body is compared with it" />
        <CheckboxInput label="keep-alive" path={at('keep_alive')} />
      </>
    );
  }
  return (
    <>
      <SelectInput
        label="workload"
        path={at('workload')}
        options={KV_WORKLOADS.map((w) => ({ value: w, label: w === 'mixed' ? 'GETs and SETs' : `${w.toUpperCase()}s only` }))}
        hint="every GET is checked against the value the generator SET"
      />
      {pr.workload === 'mixed' && <NumberInput label="GET share" path={at('get_fraction')} hint="0.9: nine GETs for each SET" />}
      <NumberInput label="keys" path={at('keys')} />
      <NumberInput label="key size" path={at('key_size')} unit="bytes" />
      <NumberInput label="value size" path={at('value_size')} unit="bytes" />
    </>
  );
}

function DriverFields({ index, cell }: { index: number; cell: ExperimentCell }) {
  const at = (...rest: (string | number)[]) => ['cells', index, 'driver', ...rest];
  const d = cell.driver;
  if (d.kind === 'wrk') {
    return (
      <>
        <NumberInput label="timeout" path={at('timeout_s')} unit="s" />
        <SelectInput
          label="verify"
          path={at('verify')}
          options={[
            { value: 'warmup', label: 'warm-up responses' },
            { value: 'all', label: 'every response (slower)' },
          ]}
        />
      </>
    );
  }
  return (
    <>
      <NumberInput label="pipeline" path={at('pipeline')} hint="closed loop: requests sent back to back per connection" />
      <SelectInput label="arrivals" path={at('arrivals')} options={[{ value: 'poisson', label: 'Poisson' }, { value: 'uniform' }]} hint="open loop: how send times are drawn" />
      <NumberInput label="depth" path={at('depth')} hint="open loop: requests in flight per connection" />
      <NumberInput label="timeout" path={at('timeout_s')} unit="s" hint="requests unanswered this long after the measured phase count as timeouts" />
    </>
  );
}

/**
 * Repeats: a fixed count, or repeated rounds until the 95% interval of each median is within
 * ±target_ci (at least min rounds, at most max; the interval needs 6 repeats).
 */
function RepeatsInput({ index, cell }: { index: number; cell: ExperimentCell }) {
  const path = ['cells', index, 'repeats'];
  const policy = typeof cell.repeats === 'object' ? cell.repeats : null;
  return (
    <>
      <Field label="repeat" path={`${jsonPath(path)}.kind`} messages={[]} hint="until clear: more rounds (backends still alternated) while a median's 95% CI is wider than the target">
        <select
          name={`${jsonPath(path)}.kind`}
          value={policy ? 'policy' : 'fixed'}
          onChange={(e) => {
            const n = typeof cell.repeats === 'number' ? cell.repeats : cell.repeats.max;
            setCell(index, { ...cell, repeats: e.target.value === 'policy' ? { min: Math.min(n, 6), max: Math.max(n, 20), target_ci: 0.03 } : n });
          }}
        >
          <option value="fixed">a fixed count</option>
          <option value="policy">until the answer is clear</option>
        </select>
      </Field>
      {policy ? (
        <>
          <NumberInput label="min repeats" path={[...path, 'min']} />
          <NumberInput label="max repeats" path={[...path, 'max']} hint="at least 6 for a 95% interval of the median" />
          <NumberInput label="target CI" path={[...path, 'target_ci']} hint="relative half-width of the median's 95% CI, e.g. 0.03 for ±3%" />
        </>
      ) : (
        <NumberInput label="repeats" path={path} />
      )}
    </>
  );
}

export function ExperimentForm({ index }: { index: number }) {
  const cell = useCell(index);
  const at = (...rest: (string | number)[]) => ['cells', index, ...rest];
  if (!cell) return null;
  const server = serverInfo(cell.server.kind);
  const connectionsHint = cell.driver.kind === 'wrk' ? 'comma-separated; each a multiple of driver threads' : 'comma-separated';
  const workersHint = server ? `${server.workers}; used when sweep.workers is not given` : 'used when sweep.workers is not given';
  return (
    <div className="form">
      <fieldset>
        <legend>Cell</legend>
        <TextInput label="id" path={at('id')} />
        <TextInput label="title" path={at('title')} optional wide />
      </fieldset>
      <fieldset>
        <legend>Server</legend>
        <ServerKindInput index={index} cell={cell} />
        <NumberInput label="workers" path={at('server', 'workers')} hint={workersHint} />
        <TextInput
          label="extra config"
          path={at('server', 'extra_config')}
          multiline
          wide
          hint={cell.server.kind === 'memcached' ? 'extra command-line arguments' : "appended to the server's configuration"}
        />
      </fieldset>
      <fieldset data-protocol={cell.protocol.kind}>
        <legend>Protocol: {cell.protocol.kind}</legend>
        <ProtocolFields index={index} cell={cell} />
      </fieldset>
      <fieldset>
        <legend>Backends & driver</legend>
        <NameListInput label="backends" path={at('backends')} hint={`${backendNames.join(', ')} — alternated innermost`} />
        <TextInput label="reference" path={at('reference')} optional hint="the backend every other is compared with (ratio, 95% CI, verdict); default baseline" />
        <DriverKindInput index={index} cell={cell} />
        <NumberInput label="threads" path={at('driver', 'threads')} />
        <DriverFields index={index} cell={cell} />
      </fieldset>
      <fieldset>
        <legend>Sweep</legend>
        <NumberListInput label="connections" path={at('sweep', 'connections')} hint={connectionsHint} />
        <NumberListInput label="workers" path={at('sweep', 'workers')} optional hint="comma-separated; empty: server.workers only" />
        <RateInput index={index} cell={cell} />
        <RepeatsInput index={index} cell={cell} />
      </fieldset>
      <fieldset>
        <legend>Timing</legend>
        <NumberInput label="duration" path={at('duration_s')} unit="s" />
        <NumberInput label="warm-up" path={at('warmup_s')} unit="s" />
        <NumberInput label="quick duration" path={at('quick', 'duration_s')} unit="s" hint="used by quick runs" />
        <NumberInput label="quick warm-up" path={at('quick', 'warmup_s')} unit="s" />
        <NumberInput label="quick repeats" path={at('quick', 'repeats')} optional hint="used by quick runs (default: repeats)" />
      </fieldset>
      <fieldset data-testid="cell-hosts">
        <legend>Hosts</legend>
        <CellHostsFields index={index} cell={cell} />
      </fieldset>
      <fieldset>
        <legend>Pinning</legend>
        <NumberListInput label="server CPUs" path={at('pinning', 'server')} optional />
        <NumberListInput label="driver CPUs" path={at('pinning', 'driver')} optional />
      </fieldset>
    </div>
  );
}
