/** One uPlot chart: a title, theme colours, several series; re-created when the series set changes. */
import uPlot from 'uplot';
import { h, themeColor } from './dom';

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
  /** Draw points (sparse series such as validation loss). */
  points?: boolean;
}

export interface ChartOptions {
  title: string;
  /** Logarithmic y axis (loss, perplexity). */
  logY?: boolean;
  /** x is epoch milliseconds (system panel) instead of steps. */
  timeX?: boolean;
  yFormat?: (v: number) => string;
  height?: number;
}

export class Chart {
  readonly root: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly empty: HTMLElement;
  private plot: uPlot | undefined;
  private signature = '';
  private readonly resize: ResizeObserver;

  constructor(private readonly options: ChartOptions) {
    this.plotHost = h('div', { class: 'plot' });
    this.empty = h('div', { class: 'empty', text: 'No data yet' });
    this.root = h('section', { class: 'chart' }, [
      h('h3', { text: options.title }),
      this.empty,
      this.plotHost,
    ]);
    this.resize = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height() });
    });
    this.resize.observe(this.root);
  }

  private width(): number {
    return Math.max(200, this.root.clientWidth - 8);
  }

  private height(): number {
    return this.options.height ?? 180;
  }

  /** Draws `series` over x; recreates the plot when labels, colours or styles changed (e.g. theme switch). */
  update(x: number[], ys: Array<Array<number | null>>, series: ChartSeries[]): void {
    const hasData = x.length > 0 && ys.some((y) => y.some((v) => v !== null));
    this.empty.hidden = hasData;
    this.plotHost.hidden = !hasData;
    if (!hasData) return;
    const signature = JSON.stringify(series);
    const data = [x, ...ys] as uPlot.AlignedData;
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    this.plot = new uPlot(this.plotOptions(series), data, this.plotHost);
  }

  /** Forces a re-creation on the next update (theme colours changed). */
  invalidate(): void {
    this.signature = '';
  }

  private plotOptions(series: ChartSeries[]): uPlot.Options {
    const fg = themeColor('--vscode-descriptionForeground', '#888');
    const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const fmt = this.options.yFormat ?? formatNumber;
    const axis = (): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px var(--vscode-font-family, sans-serif)',
    });
    return {
      width: this.width(),
      height: this.height(),
      scales: {
        x: { time: this.options.timeX === true },
        y: this.options.logY ? { distr: 3 } : { auto: true },
      },
      axes: [
        axis(),
        {
          ...axis(),
          size: 56,
          values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : fmt(v))),
        },
      ],
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: this.options.timeX ? 'time' : 'step' },
        ...series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.dashed ? 1.5 : 2,
          dash: s.dashed ? [6, 4] : undefined,
          spanGaps: true,
          points: { show: s.points === true, size: 5, fill: s.color },
          value: (_u, v) => (v === null || v === undefined ? '—' : fmt(v)),
        })),
      ],
    };
  }

  dispose(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}

export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a >= 1e-3) return String(Number(v.toPrecision(3)));
  return v.toExponential(1);
}
