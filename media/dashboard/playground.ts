/**
 * Fill-mask playground: type a sentence with [MASK], see the top-k as a bar chart per mask and, for several masks,
 * the best completions of the whole sentence found jointly; optional target words restrict the candidates.
 */
import type { FillMaskRequest } from '../../protocol/inference';
import { modelLabel } from '../../protocol/shared/modelLabel';
import type { LoadedModelInfo } from '../../protocol/status';
import { h, setChildren } from './dom';

export interface PlaygroundRequest {
  requestId: number;
  text: string;
  topK: number;
  /** Only these words as candidates (empty: the whole vocabulary). */
  targets: string[];
}

export class Playground {
  readonly root: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly topK: HTMLSelectElement;
  private readonly targets: HTMLInputElement;
  private readonly results = h('div', { class: 'results', 'aria-live': 'polite' });
  /** Which model answers (the status's model), so the choice of *Use a Hugging Face Model…* shows here too. */
  private readonly modelLine = h('div', { class: 'muted model-in-use' });
  private nextId = 1;
  private pending = 0;

  constructor(
    initialText: string,
    private readonly send: (r: PlaygroundRequest) => void,
    private readonly onTextChange: (text: string) => void,
  ) {
    this.input = h('textarea', { rows: 2, spellcheck: false, 'aria-label': 'sentence with [MASK]' });
    this.input.value = initialText;
    this.input.addEventListener('input', () => this.onTextChange(this.input.value));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) this.predict();
    });
    this.topK = h(
      'select',
      { 'aria-label': 'top k' },
      [3, 5, 10, 20].map((k) => h('option', { value: k, text: `top ${k}` })),
    );
    this.topK.value = '5';
    this.targets = h('input', {
      type: 'text',
      class: 'targets',
      placeholder: 'only these words (comma-separated, optional)',
      'aria-label': 'target words',
      spellcheck: false,
    });
    this.targets.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.predict();
    });
    const button = h('button', { type: 'button', class: 'predict', text: 'Predict' });
    button.addEventListener('click', () => this.predict());
    this.root = h('section', { class: 'playground' }, [
      h('h3', { text: 'Fill-mask playground' }),
      this.modelLine,
      this.input,
      h('div', { class: 'row' }, [
        this.topK,
        this.targets,
        button,
        h('span', { class: 'hint', text: 'Ctrl+Enter' }),
      ]),
      this.results,
    ]);
  }

  /** Names the model in use, or says how to get one. */
  setModel(m: LoadedModelInfo | undefined): void {
    this.modelLine.textContent = m
      ? `Model: ${modelLabel(m)} (${m.source})`
      : 'No model yet: MLM: Use a Hugging Face Model…, or train a run.';
  }

  predict(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.pending = this.nextId++;
    setChildren(this.results, [h('div', { class: 'muted', text: 'Predicting…' })]);
    const targets = this.targets.value
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    this.send({ requestId: this.pending, text, topK: Number(this.topK.value), targets });
  }

  /** Shows an answer; answers to older requests are dropped. */
  show(requestId: number, result: FillMaskRequest.Result | undefined, error: string | undefined): void {
    if (requestId !== this.pending) return;
    if (error || !result) {
      setChildren(this.results, [h('div', { class: 'error', text: error ?? 'No answer.' })]);
      return;
    }
    if (result.masks.length === 0) {
      setChildren(this.results, [h('div', { class: 'muted', text: 'No [MASK] in the text: add one.' })]);
      return;
    }
    const model = `${modelLabel(result.model)} · ${Math.round(result.elapsedMs)} ms`;
    const joint = result.joint?.length
      ? h('div', { class: 'joint' }, [
          h('h4', { text: 'Best completions (filled jointly)' }),
          h(
            'ol',
            { class: 'bars' },
            result.joint.map((j) => {
              const bar = h('span', { class: 'bar' });
              bar.style.width = `${Math.max(1, j.score * 100)}%`;
              return h('li', { title: `pseudo-log-likelihood ${j.pll.toFixed(3)}` }, [
                h('span', { class: 'sequence', text: j.sequence }),
                h('span', { class: 'track' }, [bar]),
                h('span', { class: 'score', text: `${(j.score * 100).toFixed(1)}%` }),
              ]);
            }),
          ),
        ])
      : result.jointNote
        ? h('div', { class: 'muted', text: `No joint completions: ${result.jointNote}` })
        : null;
    setChildren(this.results, [
      h('div', { class: 'muted', text: model }),
      ...(joint ? [joint] : []),
      ...result.masks.map((m, i) =>
        h('div', { class: 'mask' }, [
          result.masks.length > 1 ? h('h4', { text: `Mask ${i + 1}` }) : null,
          h(
            'ol',
            { class: 'bars' },
            m.predictions.map((p) => {
              const bar = h('span', { class: 'bar' });
              bar.style.width = `${Math.max(1, p.score * 100)}%`;
              return h('li', { title: p.sequence }, [
                h('span', {
                  class: 'token',
                  text: p.pieces ? `${p.token} (${p.pieces.join(' ')})` : p.token,
                }),
                h('span', { class: 'track' }, [bar]),
                h('span', { class: 'score', text: `${(p.score * 100).toFixed(1)}%` }),
              ]);
            }),
          ),
        ]),
      ),
    ]);
  }
}
