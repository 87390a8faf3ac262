/**
 * A fine-tune run's task view: the held-out task metrics over steps (accuracy, macro-F1, … whichever the task logs),
 * each class's F1 over steps, and the newest confusion matrix as a heat map (rows: true label, columns: predicted;
 * cell shade = the share of that row, with the count written in it) beside each class's F1. Hidden for pretraining
 * runs (their eval rows carry no `classes`). Live: redrawn from the metric store on every new eval row.
 */
import type { MetricRecord } from '../../protocol/shared/metrics';
import { Chart, type ChartSeries } from './chart';
import { h, setChildren, themeColor } from './dom';
import type { MetricStore, NumericMetric } from './metricStore';
import { latestTaskRow, rowShares } from './taskData';
import { runColor, shortId } from './trainingCharts';

/** Task metrics drawn when a run logs them (ratios in [0, 1] except the regression errors). */
const TASK_METRICS: NumericMetric[] = [
  'accuracy',
  'macroF1',
  'microF1',
  'subsetAccuracy',
  'precision',
  'recall',
  'f1',
  'tokenAccuracy',
  'pearson',
  'spearman',
  'mse',
  'mae',
];

const pct = (v: number): string => `${(v * 100).toFixed(v >= 0.1 ? 0 : 1)}%`;

export class TaskPanel {
  readonly root: HTMLElement;
  private readonly title = h('h3', { text: 'Task metrics' });
  private readonly metrics = new Chart({ title: 'Held-out task metrics', yFormat: pct });
  private readonly classF1 = new Chart({ title: 'Per-class F1 (held-out)', yFormat: pct });
  private readonly matrixHost = h('div', { class: 'confusion', 'data-testid': 'confusion-matrix' });
  private readonly matrixTitle = h('h3', { text: 'Confusion matrix' });

  constructor() {
    this.root = h('section', { class: 'task-panel', hidden: true }, [
      this.title,
      h('div', { class: 'chart-grid' }, [
        this.metrics.root,
        this.classF1.root,
        h('section', { class: 'chart confusion-chart' }, [this.matrixTitle, this.matrixHost]),
      ]),
    ]);
  }

  /** Draws the first drawn run that is a task run (fine-tune); hides itself when none is. */
  render(store: MetricStore, runIds: readonly string[]): void {
    const i = runIds.findIndex((id) => latestTaskRow(store, id));
    if (i < 0) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    const runId = runIds[i];
    const latest = latestTaskRow(store, runId)!;
    const rows = (store.runs.get(runId)?.eval ?? []).filter((r) => r.classes?.length);
    this.title.textContent = `Task metrics — ${shortId(runId)} (step ${latest.step})`;
    this.renderMetrics(rows, i);
    this.renderClassF1(rows, latest.classes!);
    this.renderMatrix(latest);
  }

  private renderMetrics(rows: readonly MetricRecord[], colorIndex: number): void {
    const present = TASK_METRICS.filter((m) => rows.some((r) => typeof r[m] === 'number'));
    const series: ChartSeries[] = present.map((m, k) => ({
      label: m,
      color: runColor(colorIndex + k),
      points: true,
    }));
    this.metrics.update(
      rows.map((r) => r.step),
      present.map((m) =>
        rows.map((r) => (typeof r[m] === 'number' && Number.isFinite(r[m]) ? (r[m] as number) : null)),
      ),
      series,
    );
  }

  private renderClassF1(rows: readonly MetricRecord[], classes: readonly string[]): void {
    const withF1 = rows.filter((r) => r.classF1?.length);
    const series: ChartSeries[] = classes.map((c, k) => ({ label: c, color: runColor(k), points: true }));
    this.classF1.update(
      withF1.map((r) => r.step),
      classes.map((c) =>
        withF1.map((r) => {
          const j = r.classes?.indexOf(c) ?? -1;
          const v = j >= 0 ? r.classF1?.[j] : undefined;
          return typeof v === 'number' && Number.isFinite(v) ? v : null;
        }),
      ),
      series,
    );
  }

  private renderMatrix(r: MetricRecord): void {
    const classes = r.classes ?? [];
    const f1 = r.classF1 ?? [];
    if (!r.confusion?.length) {
      this.matrixTitle.textContent = 'Per-class F1';
      setChildren(
        this.matrixHost,
        classes.length
          ? [
              h(
                'table',
                { class: 'per-class' },
                classes.map((c, k) =>
                  h('tr', {}, [
                    h('th', { text: c }),
                    h('td', { text: f1[k] === undefined ? '–' : pct(f1[k]) }),
                  ]),
                ),
              ),
            ]
          : [h('div', { class: 'empty', text: 'No data yet' })],
      );
      return;
    }
    this.matrixTitle.textContent = `Confusion matrix (step ${r.step})`;
    const shares = rowShares(r.confusion);
    const heat = themeColor('--vscode-charts-blue', '#3794ff');
    const head = h('tr', {}, [
      h('th', {
        class: 'corner',
        text: 'true ↓ predicted →',
        title: 'rows: the true label; columns: the prediction',
      }),
      ...classes.map((c) => h('th', { class: 'pred', text: c, title: `predicted ${c}` })),
      h('th', { class: 'f1', text: 'F1' }),
    ]);
    const body = r.confusion.map((row, t) =>
      h('tr', {}, [
        h('th', { class: 'true', text: classes[t] ?? String(t) }),
        ...row.map((count, p) => {
          const cell = h('td', {
            class: t === p ? 'diag' : undefined,
            text: String(count),
            title: `true ${classes[t]}, predicted ${classes[p]}: ${count} (${pct(shares[t][p])} of ${classes[t]})`,
          });
          cell.style.background = `color-mix(in srgb, ${heat} ${Math.round(shares[t][p] * 85)}%, transparent)`;
          return cell;
        }),
        h('td', { class: 'f1', text: f1[t] === undefined ? '–' : pct(f1[t]) }),
      ]),
    );
    setChildren(this.matrixHost, [h('table', { class: 'matrix' }, [head, ...body])]);
  }

  invalidate(): void {
    this.metrics.invalidate();
    this.classF1.invalidate();
  }
}
