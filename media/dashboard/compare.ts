/** Compare Runs: the runs' final metrics and settings side by side, the differing settings highlighted. */
import type { RunDetailsRequest } from '../../protocol/training';
import { metricRows, settingRows, type CompareRow } from './compareData';
import { h, setChildren } from './dom';

export class ComparePanel {
  readonly root = h('section', { class: 'compare', hidden: true });
  private onlyDiffering = true;
  private last: RunDetailsRequest.Result[] = [];

  render(runs: RunDetailsRequest.Result[]): void {
    this.last = runs;
    this.root.hidden = runs.length === 0;
    const settings = settingRows(runs);
    const differing = settings.filter((r) => r.differs).length;
    const toggle = h('input', {
      type: 'checkbox',
      checked: this.onlyDiffering,
      'aria-label': 'only differing settings',
    });
    toggle.addEventListener('change', () => {
      this.onlyDiffering = toggle.checked;
      this.render(this.last);
    });
    const shown = this.onlyDiffering ? settings.filter((r) => r.differs) : settings;
    const head = h('tr', {}, [h('th', { text: '' }), ...runs.map((d) => h('th', { text: d.run.runId }))]);
    const body = (rows: CompareRow[]): HTMLElement[] =>
      rows.map((r) =>
        h('tr', { class: r.differs ? 'differs' : undefined }, [
          h('th', { text: r.key, scope: 'row' }),
          ...r.values.map((v) => h('td', { text: v })),
        ]),
      );
    setChildren(this.root, [
      h('h3', { text: `Compare runs (${runs.length})` }),
      h('table', { class: 'compare-table', 'data-testid': 'compare-metrics' }, [
        h('thead', {}, [head]),
        h('tbody', {}, body(metricRows(runs))),
      ]),
      h('div', { class: 'row' }, [
        h('label', {}, [toggle, ` only the ${differing} differing settings (of ${settings.length})`]),
      ]),
      h('table', { class: 'compare-table', 'data-testid': 'compare-settings' }, [
        h('thead', {}, [head.cloneNode(true) as HTMLElement]),
        h('tbody', {}, body(shown)),
      ]),
    ]);
  }
}
