declare module 'plotly.js-basic-dist-min' {
  export interface PlotlyStatic {
    react(el: HTMLElement, data: unknown[], layout?: Record<string, unknown>, config?: Record<string, unknown>): Promise<HTMLElement>;
    purge(el: HTMLElement): void;
    downloadImage(el: HTMLElement, opts: { format: 'png' | 'svg' | 'jpeg' | 'webp'; filename?: string; width?: number; height?: number; scale?: number }): Promise<string>;
    toImage(el: HTMLElement, opts: { format: 'png' | 'svg' | 'jpeg' | 'webp'; width?: number; height?: number; scale?: number }): Promise<string>;
    Plots: { resize(el: HTMLElement): void };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}
