// The three standard views of a run: throughput, latency percentiles, scaling with workers.
import { useMemo } from 'react';
import type { RunResults } from '../../../../electron/engine/report/types';
import { latencyFigure, scalingFigure, throughputFigure } from '../../charts/figures';
import { Plot } from '../Plot';

export function ResultsCharts({ results }: { results: RunResults }) {
  const id = results.run.id.slice(0, 8);
  const tp = useMemo(() => throughputFigure(results), [results]);
  const lat = useMemo(() => latencyFigure(results), [results]);
  const sc = useMemo(() => scalingFigure(results), [results]);
  return (
    <div className="charts">
      <figure>
        <figcaption>Requests/s against connections · every repeat a marker, line through medians</figcaption>
        <Plot figure={tp} name={`throughput-${id}`} testId="chart-throughput" />
      </figure>
      <figure>
        <figcaption>Latency percentiles against requests/s · all points, log scale</figcaption>
        <Plot figure={lat} name={`latency-${id}`} testId="chart-latency" />
      </figure>
      <figure>
        <figcaption>Scaling: requests/s against server workers</figcaption>
        <Plot figure={sc} name={`scaling-${id}`} testId="chart-scaling" />
      </figure>
    </div>
  );
}
