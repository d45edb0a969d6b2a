// The standard views of a run: throughput against connections, latency percentiles, tail latency
// against achieved rate (open loop), scaling with workers.
import { useMemo } from 'react';
import type { RunResults } from '../../../../electron/engine/common/results';
import { latencyFigure, scalingFigure, tailLatencyFigure, throughputFigure } from '../../charts/figures';
import { Plot } from '../Plot';

export function ResultsCharts({ results }: { results: RunResults }) {
  const id = results.run.id.slice(0, 8);
  const tp = useMemo(() => throughputFigure(results), [results]);
  const lat = useMemo(() => latencyFigure(results), [results]);
  const tail = useMemo(() => tailLatencyFigure(results), [results]);
  const sc = useMemo(() => scalingFigure(results), [results]);
  // Open-loop points belong on the tail-latency figure; the closed-loop figures only when the run has closed-loop points.
  const open = results.points.some((p) => p.kind === 'measure' && p.rate_per_s !== null);
  const closed = !open || results.points.some((p) => p.kind === 'measure' && p.rate_per_s === null);
  return (
    <div className="charts">
      {open && (
        <figure>
          <figcaption>Tail latency against achieved requests/s, at fixed offered rates · p99 solid, p99.9 dashed, one colour per backend</figcaption>
          <Plot figure={tail} name={`tail-latency-${id}`} testId="chart-tail-latency" />
        </figure>
      )}
      {closed && (
        <figure>
          <figcaption>Requests/s against connections (closed loop) · every repeat a marker, line through medians</figcaption>
          <Plot figure={tp} name={`throughput-${id}`} testId="chart-throughput" />
        </figure>
      )}
      <figure>
        <figcaption>Latency percentiles against requests/s · all points, log scale</figcaption>
        <Plot figure={lat} name={`latency-${id}`} testId="chart-latency" />
      </figure>
      {closed && (
        <figure>
          <figcaption>Scaling: requests/s against server workers</figcaption>
          <Plot figure={sc} name={`scaling-${id}`} testId="chart-scaling" />
        </figure>
      )}
    </div>
  );
}
