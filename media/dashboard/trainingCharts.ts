/** The training charts: loss, accuracy, perplexity, learning rate, tokens/s, grad norm, MFU; several runs overlaid. */
import { Chart, type ChartSeries } from './chart';
import { h, themeColor } from './dom';
import { smooth } from './smoothing';
import { alignSeries, type MetricStore, type NumericMetric, type SeriesSpec } from './metricStore';

interface ChartDef {
  title: string;
  metric: NumericMetric;
  splits: Array<'train' | 'eval'>;
  logY?: boolean;
  yFormat?: (v: number) => string;
}

const pct = (v: number): string => `${(v * 100).toFixed(v >= 0.1 ? 0 : 1)}%`;

const CHARTS: ChartDef[] = [
  { title: 'Loss (train, validation dashed)', metric: 'loss', splits: ['train', 'eval'], logY: true },
  {
    title: 'Accuracy (masked tokens; a fine-tune: its examples)',
    metric: 'accuracy',
    splits: ['train', 'eval'],
    yFormat: pct,
  },
  { title: 'Perplexity', metric: 'perplexity', splits: ['train', 'eval'], logY: true },
  { title: 'Learning rate', metric: 'lr', splits: ['train'] },
  { title: 'Tokens / s', metric: 'tokensPerSec', splits: ['train'] },
  { title: 'Gradient norm (before clipping)', metric: 'gradNorm', splits: ['train'] },
  {
    title: 'Model FLOPs utilisation (of the measured matMul peak)',
    metric: 'mfu',
    splits: ['train'],
    yFormat: pct,
  },
];

const PALETTE: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

/** Colour of the i-th run overlaid. */
export function runColor(i: number): string {
  const [name, fallback] = PALETTE[i % PALETTE.length];
  return themeColor(name, fallback);
}

export class TrainingCharts {
  readonly root: HTMLElement;
  private readonly charts: Array<{ def: ChartDef; chart: Chart }>;

  constructor() {
    this.charts = CHARTS.map((def) => ({
      def,
      chart: new Chart({ title: def.title, logY: def.logY, yFormat: def.yFormat }),
    }));
    this.root = h(
      'div',
      { class: 'chart-grid' },
      this.charts.map((c) => c.chart.root),
    );
  }

  render(store: MetricStore, runIds: readonly string[], smoothing: number): void {
    for (const { def, chart } of this.charts) {
      const specs: SeriesSpec[] = [];
      const series: ChartSeries[] = [];
      runIds.forEach((runId, i) => {
        for (const split of def.splits) {
          specs.push({ runId, split, metric: def.metric });
          series.push({
            label: `${shortId(runId)} ${split === 'eval' ? 'val' : 'train'}`,
            color: runColor(i),
            dashed: split === 'eval',
            points: split === 'eval',
          });
        }
      });
      const data = alignSeries(store, specs, smoothing, smooth);
      chart.update(data.x, data.ys, series);
    }
  }

  /** Theme changed: rebuild with the new colours on the next render. */
  invalidate(): void {
    for (const c of this.charts) c.chart.invalidate();
  }
}

/** Run ids are long ("20261129-083444-tiny-<name>"): the legend shows the start, which is the unique timestamp. */
export function shortId(runId: string): string {
  return runId.length > 24 ? `${runId.slice(0, 15)}…` : runId;
}
