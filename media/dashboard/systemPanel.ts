/** Backend, device, GPU utilisation and memory over time, live tensors and RSS. */
import { modelLabel } from '../../protocol/shared/modelLabel';
import { formatMemorySize } from '../../protocol/shared/units';
import type { GpuTelemetry, ServerStatus } from '../../protocol/status';
import { webgpuSummary } from '../../protocol/webgpuText';
import { Chart } from './chart';
import { h, setChildren } from './dom';
import { runColor } from './trainingCharts';

/** Telemetry samples kept (and saved in the webview state): 10 minutes at the default 2 s period. */
export const MAX_SAMPLES = 300;

const mb = (bytes: number): number => bytes / 1024 / 1024;

export class SystemPanel {
  readonly root: HTMLElement;
  private readonly facts = h('div', { class: 'numbers' });
  private readonly gpuChart = new Chart({
    title: 'GPU utilisation and memory (%)',
    timeX: true,
    height: 140,
  });
  private readonly memChart = new Chart({ title: 'Backend RSS (MB)', timeX: true, height: 140 });
  private readonly tensorChart = new Chart({ title: 'Live tensors', timeX: true, height: 140 });

  constructor() {
    this.root = h('section', { class: 'system' }, [
      h('h3', { text: 'System' }),
      this.facts,
      h('div', { class: 'chart-grid' }, [this.gpuChart.root, this.memChart.root, this.tensorChart.root]),
    ]);
  }

  render(status: ServerStatus | undefined, samples: readonly GpuTelemetry[]): void {
    const last = samples[samples.length - 1];
    const cells: Array<[string, string]> = [
      ['Backend', status?.backend || last?.backend || 'n/a'],
      ['Device', status?.device || 'n/a'],
    ];
    if (last) {
      cells.push(['CPU cores', String(last.cores)]);
      if (last.webgpu) cells.push(['WebGPU', webgpuSummary(last.webgpu).replace(/^GPU: /, '')]);
      if (last.gpus?.length || !last.webgpu)
        cells.push([
          'GPU',
          last.gpus?.length ? last.gpus.map((g) => g.name).join(', ') : `n/a — ${last.gpuMessage}`,
        ]);
      const trainer = last.trainerTfMemory?.numTensors;
      cells.push([
        'Tensors',
        `${last.tfMemory.numTensors}${trainer !== undefined ? ` + ${trainer} (trainer)` : ''}`,
      ]);
      cells.push(['RSS', `${Math.round(mb(last.rssBytes))} MB`]);
      cells.push(['Heap', `${Math.round(mb(last.heapUsedBytes))} MB`]);
    }
    if (status?.memory) {
      const m = status.memory;
      const heap = m.heapLimitBytes !== null ? ` of ${formatMemorySize(m.heapLimitBytes)} per heap` : '';
      cells.push([
        'Memory estimate',
        `leader ${formatMemorySize(m.leaderBytes)}${heap}, ${formatMemorySize(m.totalBytes)} in all · ${m.replicas} × ${m.rowsPerPass} rows × ${m.chunks} pass${m.chunks > 1 ? 'es' : ''}`,
      ]);
    }
    if (status?.model) cells.push(['Model', `${modelLabel(status.model)} (${status.model.source})`]);
    setChildren(
      this.facts,
      cells.map(([k, v]) =>
        h('div', { class: 'cell' }, [h('span', { class: 'k', text: k }), h('span', { class: 'v', text: v })]),
      ),
    );
    const x = samples.map((s) => s.time / 1000);
    const gpus = last?.gpus ?? [];
    this.gpuChart.root.hidden = gpus.length === 0;
    if (gpus.length) {
      const ys: Array<Array<number | null>> = [];
      const series = [];
      for (const [i, g] of gpus.entries()) {
        const dev = (s: GpuTelemetry) => s.gpus?.find((d) => d.index === g.index);
        ys.push(samples.map((s) => dev(s)?.utilizationPercent ?? null));
        ys.push(
          samples.map((s) => {
            const d = dev(s);
            return d && d.memoryUsedMiB !== null && d.memoryTotalMiB
              ? (100 * d.memoryUsedMiB) / d.memoryTotalMiB
              : null;
          }),
        );
        series.push({ label: `GPU ${g.index} util`, color: runColor(i) });
        series.push({ label: `GPU ${g.index} mem`, color: runColor(i), dashed: true });
      }
      this.gpuChart.update(x, ys, series);
    }
    this.memChart.update(
      x,
      [samples.map((s) => Math.round(mb(s.rssBytes)))],
      [{ label: 'RSS', color: runColor(0) }],
    );
    this.tensorChart.update(
      x,
      [samples.map((s) => s.tfMemory.numTensors), samples.map((s) => s.trainerTfMemory?.numTensors ?? null)],
      [
        { label: 'inference', color: runColor(1) },
        { label: 'trainer', color: runColor(2) },
      ],
    );
  }

  invalidate(): void {
    this.gpuChart.invalidate();
    this.memChart.invalidate();
    this.tensorChart.invalidate();
  }
}
