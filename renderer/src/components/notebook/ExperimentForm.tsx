// An experiment cell as a form: every field of the schema, each with its errors beside it.
import { CheckboxInput, NameListInput, NumberInput, NumberListInput, SelectInput, TextInput } from '../fields/inputs';

/** Every path the form shows, relative to the cell: errors elsewhere go to the cell's header. */
export const EXPERIMENT_FIELDS = [
  'id',
  'title',
  'server.kind',
  'server.workers',
  'server.file_size',
  'server.keep_alive',
  'server.extra_config',
  'backends',
  'driver.kind',
  'driver.threads',
  'driver.timeout_s',
  'driver.verify',
  'sweep.connections',
  'sweep.workers',
  'duration_s',
  'warmup_s',
  'repeats',
  'pinning.server',
  'pinning.driver',
  'quick.duration_s',
  'quick.warmup_s',
] as const;

export function ExperimentForm({ index }: { index: number }) {
  const at = (...rest: (string | number)[]) => ['cells', index, ...rest];
  return (
    <div className="form">
      <fieldset>
        <legend>Cell</legend>
        <TextInput label="id" path={at('id')} />
        <TextInput label="title" path={at('title')} optional wide />
      </fieldset>
      <fieldset>
        <legend>Server</legend>
        <TextInput label="kind" path={at('server', 'kind')} hint="a registered server: nginx, lighttpd, …" />
        <NumberInput label="workers" path={at('server', 'workers')} hint="worker processes (used when sweep.workers is not given)" />
        <NumberInput label="file size" path={at('server', 'file_size')} unit="bytes" />
        <CheckboxInput label="keep-alive" path={at('server', 'keep_alive')} />
        <TextInput label="extra config" path={at('server', 'extra_config')} multiline wide hint="appended verbatim inside the server's http block" />
      </fieldset>
      <fieldset>
        <legend>Backends & driver</legend>
        <NameListInput label="backends" path={at('backends')} hint="baseline, saio-sync, saio-uring, saio-kmod — alternated innermost" />
        <TextInput label="driver" path={at('driver', 'kind')} />
        <NumberInput label="threads" path={at('driver', 'threads')} />
        <NumberInput label="timeout" path={at('driver', 'timeout_s')} unit="s" />
        <SelectInput
          label="verify"
          path={at('driver', 'verify')}
          options={[
            { value: 'warmup', label: 'warm-up responses' },
            { value: 'all', label: 'every response (slower)' },
          ]}
        />
      </fieldset>
      <fieldset>
        <legend>Sweep</legend>
        <NumberListInput label="connections" path={at('sweep', 'connections')} hint="comma-separated; each a multiple of driver threads" />
        <NumberListInput label="workers" path={at('sweep', 'workers')} optional hint="comma-separated; empty: server.workers only" />
        <NumberInput label="repeats" path={at('repeats')} />
      </fieldset>
      <fieldset>
        <legend>Timing</legend>
        <NumberInput label="duration" path={at('duration_s')} unit="s" />
        <NumberInput label="warm-up" path={at('warmup_s')} unit="s" />
        <NumberInput label="quick duration" path={at('quick', 'duration_s')} unit="s" hint="used by quick runs" />
        <NumberInput label="quick warm-up" path={at('quick', 'warmup_s')} unit="s" />
      </fieldset>
      <fieldset>
        <legend>Pinning</legend>
        <NumberListInput label="server CPUs" path={at('pinning', 'server')} optional />
        <NumberListInput label="driver CPUs" path={at('pinning', 'driver')} optional />
      </fieldset>
    </div>
  );
}
