/**
 * `npm run bench -- hoverprofile`: where a hover's time goes inside the inference worker, measured in this process
 * on W1's model (mini, random weights: the cost does not depend on them) and W2's synthetic vocabulary. A 70-word
 * paragraph with four masks is filled as the hover asks (top 5, 3 joint completions); every forward pass is timed
 * with its rows × tokens, and tokenization, the passes and the rest (top-k, beam bookkeeping) are split out. Also:
 * the first fills of a freshly built model with and without warmUp (what the worker now runs on each load).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fillMaskAll, modelScorer, warmUp, type Scorer } from '../../server/ml/infer/fillMask';
import { createModel } from '../../server/ml/model';
import { benchTokenizer, syntheticWord } from './syntheticVocab';
import { fmt, type Reporter } from './report';
import { quantile } from './stats';
import { w1Config } from './trainingThroughput';

const WORDS = 70;
const MASKED_WORDS = [12, 26, 40, 55];

function paragraph(seed: number): string {
  const out: string[] = [];
  for (let w = 0; w < WORDS; w++)
    out.push(MASKED_WORDS.includes(w) ? '[MASK]' : syntheticWord((seed * 7919 + w * 104729) % 8000));
  return out.join(' ');
}

export async function runHoverProfile(out: Reporter, calls = 40, warmup = 5): Promise<void> {
  const config = w1Config(0);
  const tokenizer = benchTokenizer(config.vocabSize);
  const model = createModel(config, { seed: 1 });
  const base = modelScorer(model);
  let passes: Array<{ rows: number; seqLen: number; ms: number }> = [];
  const scorer: Scorer = {
    maxPositions: base.maxPositions,
    async logits(ids, attention, batch, seqLen, positions) {
      const t0 = performance.now();
      const r = await base.logits(ids, attention, batch, seqLen, positions);
      passes.push({ rows: batch, seqLen, ms: performance.now() - t0 });
      return r;
    },
  };
  let before = 0;
  const totals: number[] = [];
  const forward: number[] = [];
  const tokenize: number[] = [];
  let shape = '';
  for (let i = 0; i < warmup + calls; i++) {
    // After the warm-up fills: the model's cached projections (kept until its weights change) are not a leak.
    if (i === warmup) before = tf.memory().numTensors;
    const text = paragraph(i);
    const t0 = performance.now();
    tokenizer.encode(text);
    const t1 = performance.now();
    passes = [];
    await fillMaskAll(scorer, tokenizer, text, { topK: 5, beam: 3 });
    const ms = performance.now() - t1;
    if (i < warmup) continue;
    totals.push(ms);
    tokenize.push(t1 - t0);
    forward.push(passes.reduce((a, p) => a + p.ms, 0));
    shape = passes.map((p) => `${p.rows}×${p.seqLen}`).join(' + ');
  }
  const rows = passes.reduce((a, p) => a + p.rows, 0);
  const leaked = tf.memory().numTensors - before;
  out.record({
    workload: 'hoverprofile',
    system: 'ours',
    metric: 'four_mask_fill_p50',
    value: quantile(totals, 0.5),
    unit: 'ms',
    p95: quantile(totals, 0.95),
    forwardP50: quantile(forward, 0.5),
    tokenizeP50: quantile(tokenize, 0.5),
    passes: shape,
    rows,
    tensorsLeaked: leaked,
  });
  out.row([
    'hoverprofile',
    `4-mask paragraph, top 5 + 3 joint completions: fill p50 / p95 ms (passes ${shape})`,
    `${fmt(quantile(totals, 0.5))} / ${fmt(quantile(totals, 0.95))}`,
    '—',
    `forward passes ${fmt(quantile(forward, 0.5))} ms (${rows} rows), tokenize ${fmt(quantile(tokenize, 0.5))} ms; ${leaked} tensors leaked`,
  ]);
  model.dispose();

  // A freshly built model's first fills, cold and after warmUp (both on new models: nothing shared).
  for (const warm of [false, true]) {
    const m = createModel(config, { seed: warm ? 3 : 2 });
    const s = modelScorer(m);
    const w0 = performance.now();
    if (warm) await warmUp(s, tokenizer);
    const warmMs = performance.now() - w0;
    const first: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await fillMaskAll(s, tokenizer, paragraph(100 + i), { topK: 5, beam: 0 });
      first.push(performance.now() - t0);
    }
    m.dispose();
    out.record({
      workload: 'hoverprofile',
      system: 'ours',
      metric: warm ? 'first_fills_after_warmup' : 'first_fills_cold',
      value: first[0],
      unit: 'ms',
      fills: first,
      warmUpMs: warmMs,
    });
    out.row([
      'hoverprofile',
      `first 3 fills (one pass) of a new model, ${warm ? `after warmUp (${fmt(warmMs)} ms)` : 'cold'}`,
      first.map((x) => fmt(x)).join(', '),
      '—',
      'ms each',
    ]);
  }
}
