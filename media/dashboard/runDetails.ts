/**
 * The details of one run (mlm/runDetails: its saved config, checkpoints and outcome) and the backend's corpus index
 * (mlm/corpusStats). Paths are the backend's (it may run on another machine).
 */
import type { CorpusStats } from '../../protocol/corpus';
import type { RunDetailsRequest } from '../../protocol/training';
import type { RunAction } from '../../protocol/webview';
import { h, setChildren } from './dom';

const count = (n: number): string => n.toLocaleString('en-US');

/** "3 files · 12,345 characters · 1 skipped (binary 1)", with the index state. */
export function corpusLine(c: CorpusStats): string {
  const skipped = Object.entries(c.skipped).filter(([, n]) => n > 0);
  const total = skipped.reduce((a, [, n]) => a + n, 0);
  return [
    `${count(c.files)} text file${c.files === 1 ? '' : 's'}`,
    `${count(c.chars)} characters`,
    total ? `${count(total)} skipped (${skipped.map(([why, n]) => `${why} ${n}`).join(', ')})` : undefined,
    c.indexing ? 'indexing…' : undefined,
    c.message,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The config facts worth a glance, as label → value rows. */
export function configRows(d: RunDetailsRequest.Result): Array<[string, string]> {
  const c = d.config;
  if (!c) return [['Config', d.configError ?? 'missing']];
  const o = c.model.overrides;
  const size = [
    o.hiddenSize !== undefined ? `hidden ${o.hiddenSize}` : undefined,
    o.numHiddenLayers !== undefined ? `${o.numHiddenLayers} layers` : undefined,
    o.numAttentionHeads !== undefined ? `${o.numAttentionHeads} heads` : undefined,
  ].filter(Boolean);
  const t = c.training;
  const stop = [
    t.maxSteps !== null ? `${count(t.maxSteps)} steps` : undefined,
    t.epochs !== null ? `${t.epochs} epochs` : undefined,
    t.timeBudget !== null ? `budget ${t.timeBudget}` : undefined,
  ].filter(Boolean);
  return [
    [
      'Model',
      `${c.model.arch}/${c.model.preset}${size.length ? ` (${size.join(', ')})` : ''}${c.model.init ? ` from ${c.model.init}` : ''}`,
    ],
    [
      'Data',
      `sequences of ${c.data.seqLen} tokens, ${Math.round(c.data.masking.probability * 100)}% masked, ${Math.round(c.data.validationSplit * 100)}% held out`,
    ],
    [
      'Training',
      `batch ${t.batchSize}${t.gradAccumulation > 1 ? ` × ${t.gradAccumulation}` : ''}, lr ${t.lr} (${t.schedule}), ${stop.join(', ') || 'no stop set'}`,
    ],
    ['Vocabulary', c.tokenizer.path ?? `${count(c.tokenizer.vocabSize)} WordPiece tokens, trained`],
    ['Backend', `${c.backend}${c.threads ? `, ${c.threads} threads` : ''}`],
  ];
}

export class RunDetails {
  readonly root: HTMLElement;
  private readonly corpus = h('p', { class: 'muted corpus', text: 'Corpus: waiting for the backend…' });
  private readonly body = h('div', { class: 'details-body' });

  /**
   * `onExportCsv(runId)`: the "Export CSV…" button of the run shown; `onAction(action, runId)`: its Evaluate…,
   * Export…, Compare… and Coverage… buttons (the commands of the same names).
   */
  constructor(
    private readonly onExportCsv: (runId: string) => void,
    private readonly onAction: (action: RunAction, runId: string) => void,
  ) {
    this.root = h('section', { class: 'run-details' }, [
      h('h3', { text: 'Run details' }),
      this.corpus,
      this.body,
    ]);
    setChildren(this.body, [
      h('p', { class: 'empty', text: 'Pick a run (details) to see its configuration.' }),
    ]);
  }

  private exportButton(runId: string): HTMLButtonElement {
    const b = h('button', {
      class: 'export-csv',
      text: 'Export CSV…',
      title: "Save this run's metric rows (train and eval) as a CSV file",
    });
    b.addEventListener('click', () => this.onExportCsv(runId));
    return b;
  }

  /** The run actions' buttons: the checkpoint ones only when the run has a checkpoint. */
  private actionButtons(d: RunDetailsRequest.Result): HTMLElement {
    const actions: Array<[RunAction, string, string, boolean]> = [
      [
        'evaluate',
        'Evaluate…',
        'Evaluate the best checkpoint on its held-out split or on files (MLM: Evaluate Run…)',
        true,
      ],
      [
        'export',
        'Export…',
        'Write the best checkpoint as a Hugging Face folder (MLM: Export to Hugging Face…)',
        true,
      ],
      [
        'compare',
        'Compare…',
        'Compare this run with others: settings and final metrics (MLM: Compare Runs)',
        false,
      ],
      [
        'coverage',
        'Coverage…',
        "How well this run's vocabulary covers the current file (MLM: Tokenizer Coverage Report)",
        false,
      ],
    ];
    const buttons = actions
      .filter(([, , , needsCheckpoint]) => !needsCheckpoint || d.checkpoints.length > 0)
      .map(([action, text, title]) => {
        const b = h('button', { class: 'run-action', text, title });
        b.dataset.action = action;
        b.addEventListener('click', () => this.onAction(action, d.run.runId));
        return b;
      });
    return h('p', { class: 'run-actions' }, buttons);
  }

  renderCorpus(c: CorpusStats): void {
    this.corpus.textContent = `Corpus: ${corpusLine(c)}`;
  }

  render(d: RunDetailsRequest.Result): void {
    const run = d.run;
    const head = [run.status, run.step !== undefined ? `step ${count(run.step)}` : undefined, run.startedAt]
      .filter(Boolean)
      .join(' · ');
    const rows = configRows(d);
    const checkpoints = d.checkpoints.length
      ? d.checkpoints.map((c) =>
          h('li', { text: `step ${count(c.step)}${c.best ? ' (best eval)' : ''}`, title: c.dir }),
        )
      : [h('li', { class: 'empty', text: 'none yet' })];
    setChildren(this.body, [
      h('p', {}, [
        h('span', { class: 'run-id', text: run.runId }),
        ` ${head} `,
        this.exportButton(run.runId),
      ]),
      this.actionButtons(d),
      d.error ? h('p', { class: 'error', text: d.error }) : '',
      h(
        'dl',
        {},
        rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
      ),
      h('h4', { text: 'Checkpoints' }),
      h('ul', { class: 'checkpoints' }, checkpoints),
      d.config
        ? h('details', {}, [
            h('summary', { text: 'config.json' }),
            h('pre', { text: JSON.stringify(d.config, null, 2) }),
          ])
        : '',
    ]);
  }
}
