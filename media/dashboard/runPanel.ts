/** The active run: progress, ETA, controls (pause / resume / stop) and the realised masking rates. */
import type { ServerStatus } from '../../protocol/status';
import type { MetricRecord } from '../../protocol/shared/metrics';
import { isRunActive } from '../../protocol/shared/runState';
import type { FinishedRunSummary } from '../../protocol/webview';
import { h, setChildren } from './dom';
import { throughputCells, type Cell } from './throughput';

export type ControlMessage = 'pause' | 'resume' | 'stop';

export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export class RunPanel {
  readonly root: HTMLElement;
  private readonly title = h('h2', { text: 'No run active' });
  private readonly detail = h('div', { class: 'detail' });
  private readonly bar = h('progress', { max: 1, value: 0 });
  private readonly numbers = h('div', { class: 'numbers' });
  private readonly masking = h('div', { class: 'masking' });
  private readonly buttons: Record<ControlMessage, HTMLButtonElement>;

  constructor(send: (m: ControlMessage) => void) {
    const button = (m: ControlMessage, label: string): HTMLButtonElement => {
      const b = h('button', { type: 'button', 'data-action': m, text: label });
      b.addEventListener('click', () => send(m));
      return b;
    };
    this.buttons = {
      pause: button('pause', 'Pause'),
      resume: button('resume', 'Resume'),
      stop: button('stop', 'Stop'),
    };
    this.root = h('section', { class: 'run-panel', 'aria-live': 'polite' }, [
      h('div', { class: 'run-head' }, [
        this.title,
        h('div', { class: 'controls' }, [this.buttons.pause, this.buttons.resume, this.buttons.stop]),
      ]),
      this.bar,
      this.detail,
      this.numbers,
      this.masking,
    ]);
    this.render(undefined, undefined);
  }

  render(
    status: ServerStatus | undefined,
    latest: MetricRecord | undefined,
    finished?: FinishedRunSummary,
  ): void {
    const state = status?.state ?? 'stopped';
    const active = isRunActive(state);
    if (!active && finished && state !== 'error') {
      this.renderFinished(finished);
      return;
    }
    this.title.textContent = active
      ? status?.runId
        ? `Run ${status.runId}`
        : 'Starting a run…'
      : status?.state === 'error'
        ? 'Backend error'
        : 'No run active';
    this.buttons.pause.disabled = state !== 'training';
    this.buttons.resume.disabled = state !== 'paused';
    this.buttons.stop.disabled = !active;
    const step = status?.step ?? 0;
    const max = status?.maxSteps;
    this.bar.hidden = !active;
    if (max) {
      this.bar.max = max;
      this.bar.value = Math.min(step, max);
    } else this.bar.removeAttribute('value'); // indeterminate
    const parts: string[] = [state + (status?.phase && status.phase !== state ? ` · ${status.phase}` : '')];
    if (status?.message) parts.push(status.message);
    this.detail.textContent = parts.join(' — ');
    this.detail.classList.toggle('error', state === 'error');
    const cells: Cell[] = [];
    if (active)
      cells.push({
        k: 'Step',
        v: max ? `${step} / ${max} (${Math.round((100 * step) / max)}%)` : String(step),
      });
    if (active && status?.etaSeconds !== undefined) cells.push({ k: 'ETA', v: formatEta(status.etaSeconds) });
    if (status?.loss !== undefined) cells.push({ k: 'Loss', v: status.loss.toFixed(3) });
    if (status?.evalLoss !== undefined) cells.push({ k: 'Validation loss', v: status.evalLoss.toFixed(3) });
    cells.push(...throughputCells(latest));
    if (latest?.skippedSteps) cells.push({ k: 'Skipped (non-finite)', v: String(latest.skippedSteps) });
    if (latest?.lossSpikes) cells.push({ k: 'Skipped (loss spikes)', v: String(latest.lossSpikes) });
    if (latest?.rollbacks) cells.push({ k: 'Rollbacks (lower LR)', v: String(latest.rollbacks) });
    this.renderCells(cells);
    this.renderMasking(latest);
  }

  /** No run active: the last one that ended, its outcome and realised masking. */
  private renderFinished(f: FinishedRunSummary): void {
    this.title.textContent = `Last run ${f.runId}`;
    for (const b of Object.values(this.buttons)) b.disabled = true;
    this.bar.hidden = true;
    this.detail.textContent = `${f.outcome} at step ${f.step} — ${f.message}`;
    this.detail.classList.toggle('error', f.outcome === 'failed');
    const cells: Cell[] = [{ k: 'Steps', v: String(f.step) }];
    if (f.bestEvalLoss !== undefined) cells.push({ k: 'Best validation loss', v: f.bestEvalLoss.toFixed(3) });
    this.renderCells(cells);
    this.renderMasking(f.maskingRates);
  }

  private renderCells(cells: readonly Cell[]): void {
    setChildren(
      this.numbers,
      cells.map((c) =>
        h('div', { class: 'cell', title: c.title }, [
          h('span', { class: 'k', text: c.k }),
          h('span', { class: 'v', text: c.v }),
        ]),
      ),
    );
  }

  private renderMasking(
    r: Pick<MetricRecord, 'targetRate' | 'maskRate' | 'randomRate' | 'keepRate'> | undefined,
  ): void {
    if (!r || r.maskRate === undefined) {
      setChildren(this.masking, []);
      return;
    }
    const pct = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(v * 100).toFixed(1)}%`);
    setChildren(this.masking, [
      h('span', { class: 'k', text: 'Realised masking: ' }),
      `${pct(r.targetRate)} of tokens are targets; of those ${pct(r.maskRate)} [MASK], ${pct(r.randomRate)} random, ${pct(r.keepRate)} kept`,
    ]);
  }
}
