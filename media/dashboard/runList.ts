/** The runs on disk, with a checkbox each to overlay it in the charts. */
import type { RunInfo } from '../../protocol/training';
import { h, setChildren } from './dom';
import { runColor } from './trainingCharts';

export class RunList {
  readonly root: HTMLElement;
  private readonly list = h('ul', { class: 'runs' });

  constructor(
    private readonly onSelect: (runIds: string[]) => void,
    private readonly onShow: (runId: string) => void,
    private readonly onCompare: (runIds: string[]) => void,
  ) {
    this.compareButton.addEventListener('click', () => this.onCompare(this.selected));
    this.root = h('section', { class: 'run-list' }, [
      h('div', { class: 'row' }, [h('h3', { text: 'Runs (tick to compare)' }), this.compareButton]),
      this.list,
    ]);
  }

  private readonly compareButton = h('button', {
    type: 'button',
    class: 'compare-runs',
    text: 'Compare settings',
    title: 'The ticked runs’ settings and final metrics side by side',
  });
  private selected: string[] = [];

  render(runs: readonly RunInfo[], selected: readonly string[]): void {
    this.selected = [...selected];
    this.compareButton.disabled = selected.length < 2;
    if (runs.length === 0) {
      setChildren(this.list, [h('li', { class: 'empty', text: 'No runs yet: run "MLM: Train MLM".' })]);
      return;
    }
    setChildren(
      this.list,
      runs.map((run) => {
        const index = selected.indexOf(run.runId);
        const box = h('input', {
          type: 'checkbox',
          checked: index >= 0,
          'aria-label': `compare ${run.runId}`,
        });
        box.addEventListener('change', () => {
          const next = box.checked ? [...selected, run.runId] : selected.filter((id) => id !== run.runId);
          this.onSelect(next);
        });
        const swatch = h('span', { class: 'swatch' });
        if (index >= 0) swatch.style.background = runColor(index);
        const facts = [
          run.arch && run.preset ? `${run.arch}/${run.preset}` : run.arch,
          run.step !== undefined ? `step ${run.step}${run.maxSteps ? `/${run.maxSteps}` : ''}` : undefined,
          run.lastLoss !== undefined ? `loss ${run.lastLoss.toFixed(3)}` : undefined,
          run.bestEvalLoss !== undefined ? `best val ${run.bestEvalLoss.toFixed(3)}` : undefined,
          run.active ? 'active' : undefined,
        ].filter(Boolean);
        const details = h('button', {
          class: 'link',
          text: 'details',
          'aria-label': `details of ${run.runId}`,
        });
        details.addEventListener('click', () => this.onShow(run.runId));
        return h('li', { class: run.active ? 'active' : undefined }, [
          h('label', {}, [box, swatch, h('span', { class: 'run-id', text: run.runId })]),
          h('span', { class: 'facts', text: facts.join(' · ') }),
          details,
        ]);
      }),
    );
  }
}
