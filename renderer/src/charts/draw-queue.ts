// When charts are drawn. Plotly draws a chart in one go, measuring its text as it goes, and holds
// the page meanwhile (a 200-point run's placement chart: seconds on a busy machine). So charts wait
// in one queue and are drawn one per task — whatever arrives in between (a live run's next point)
// is handled between two charts, not after all of them — and what each chart's last drawing cost
// is kept, so a live view can redraw less often as its charts grow (liveRedrawMs).

/** While a run is live, its charts follow it at most this often… */
export const LIVE_REDRAW_MS = 3000;
/** …and take at most this share of the page's time. */
export const LIVE_DRAW_SHARE = 0.1;

/** How long a live view waits between redraws of charts that last cost `drawCostMs` in all. */
export function liveRedrawMs(drawCostMs: number): number {
  return Math.max(LIVE_REDRAW_MS, drawCostMs / LIVE_DRAW_SHARE);
}

export class DrawQueue<Chart> {
  private readonly waiting: (() => Promise<void>)[] = [];
  private draining = false;
  /** Per chart on screen: how long its last drawing took (ms). */
  private readonly costs = new Map<Chart, number>();

  /** `later`: runs a function in a task of its own (the page: setTimeout 0). */
  constructor(private readonly later: (f: () => void) => void = (f) => void setTimeout(f, 0)) {}

  /** A drawing, run in a task of its own once those queued before it have run. */
  enqueue(draw: () => Promise<void>): void {
    this.waiting.push(draw);
    if (this.draining) return;
    this.draining = true;
    this.later(() => this.next());
  }

  private next(): void {
    const draw = this.waiting.shift();
    if (!draw) {
      this.draining = false;
      return;
    }
    void draw()
      .catch(() => undefined)
      .finally(() => this.later(() => this.next()));
  }

  /** What the last drawing of `chart` cost (ms). */
  record(chart: Chart, ms: number): void {
    this.costs.set(chart, ms);
  }

  /** A chart left the screen. */
  forget(chart: Chart): void {
    this.costs.delete(chart);
  }

  /** What drawing every chart on screen once costs now (ms), by their last drawings. */
  costMs(): number {
    let sum = 0;
    for (const ms of this.costs.values()) sum += ms;
    return sum;
  }
}
