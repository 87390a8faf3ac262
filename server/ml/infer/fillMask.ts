/**
 * Fill-mask: for every [MASK] in a text, the most likely vocabulary tokens with their probabilities (like Hugging
 * Face's fill-mask pipeline), and, for a text with several masks, the best whole-sentence completions found jointly
 * (joint.ts). One forward pass for all masks' own lists; a text longer than the model's positions is cut into one
 * window per mask, centred on it. Leak-free; the logits are read asynchronously (every backend: webgpu has no
 * synchronous read in Node).
 */
import { readData } from '../backend/read';
import type { FillMaskResult, MlmModel, Tokenizer } from '../types';
import type { JointCompletion } from '../../../protocol/shared/fillMask';
import { topKSoftmax } from './topk';
import { withModelMask } from '../../../protocol/shared/fillMask';
import { jointFill, DEFAULT_BEAM } from './joint';
import { resolveTargets, scoreTargets } from './targets';
import { replaceSpan } from './sequence';

export type { FillMaskResult } from '../types';

export interface FillMaskOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  /**
   * Score only these words: a word of the vocabulary by its softmax probability, a word of several word pieces by
   * the product of its pieces' probabilities (each piece predicted with the ones before it filled in).
   */
  targets?: string[];
  /**
   * Whole-sentence completions kept and returned for a text with several masks (the beam width; default 5, 0 = do
   * not decode jointly).
   */
  beam?: number;
}

/**
 * Logits [positions.length, vocab] (flat, row-major) at flat positions b * seqLen + t of a batch of token rows.
 * The model's `logitsAt` read back to JavaScript (modelLogits), or a fixture table in tests.
 */
export type LogitsFn = (
  ids: Int32Array,
  attention: Int32Array,
  batchSize: number,
  seqLen: number,
  positions: Int32Array,
) => Promise<Float32Array>;

/** What a model can be asked: its logits and how many positions it sees. */
export interface Scorer {
  logits: LogitsFn;
  maxPositions: number;
}

/** The scorer of a model: logitsAt, read asynchronously, the tensor disposed (no tensor outlives the call). */
export function modelScorer(model: MlmModel): Scorer {
  return {
    maxPositions: model.config.maxPositionEmbeddings,
    async logits(ids, attention, batchSize, seqLen, positions) {
      const t = model.logitsAt(ids, attention, batchSize, seqLen, positions);
      try {
        return (await readData(t)) as Float32Array;
      } finally {
        t.dispose();
      }
    },
  };
}

/**
 * Runs a freshly loaded model twice on a short masked row (one row, then two): its first passes build what later
 * ones reuse (fused projections, packed matrix operators, compiled code) and cost several times a steady pass, so
 * the inference worker pays them on load rather than on the first hovers after it. Nothing is kept.
 */
export async function warmUp(scorer: Scorer, tokenizer: Tokenizer): Promise<void> {
  const { cls, sep, mask } = tokenizer.special;
  const row = [cls, mask, mask, sep];
  for (const rows of [1, 2]) {
    const ids = Int32Array.from({ length: rows * row.length }, (_, i) => row[i % row.length]);
    const positions = Int32Array.from({ length: rows }, (_, r) => r * row.length + 1);
    await scorer.logits(ids, new Int32Array(ids.length).fill(1), rows, row.length, positions);
  }
}

export interface FillAllResult {
  /** One list of candidates per mask, in text order (each mask predicted with the others still masked). */
  masks: FillMaskResult[][];
  /** With two or more masks and beam > 0: the best whole-sentence completions, highest pseudo-log-likelihood first. */
  joint?: JointCompletion[];
  /** Why there are no joint completions although the text has several masks (too many masks, too far apart, …). */
  jointNote?: string;
}

/**
 * One list of candidates per mask occurrence ("[MASK]" or "<mask>", whichever the model's), in text order. Throws
 * when the text has no mask token.
 */
export async function fillMask(
  model: MlmModel,
  tokenizer: Tokenizer,
  text: string,
  opts: FillMaskOptions = {},
): Promise<FillMaskResult[][]> {
  return (await fillMaskAll(modelScorer(model), tokenizer, text, { ...opts, beam: 0 })).masks;
}

/** Every mask's own candidates and, for several masks, the joint completions (see FillMaskOptions.beam). */
export async function fillMaskAll(
  scorer: Scorer,
  tokenizer: Tokenizer,
  text: string,
  opts: FillMaskOptions = {},
): Promise<FillAllResult> {
  const topK = opts.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer, got ${topK}`);
  const beam = opts.beam ?? DEFAULT_BEAM;
  if (!Number.isInteger(beam) || beam < 0) throw new Error(`beam must be an integer >= 0, got ${beam}`);
  // "[MASK]" typed for a RoBERTa model (or "<mask>" for a BERT) is the model's mask.
  text = withModelMask(text, tokenizer.maskToken);
  const enc = tokenizer.encode(text);
  const maskId = tokenizer.special.mask;
  const masks: number[] = [];
  enc.ids.forEach((id, i) => {
    if (id === maskId) masks.push(i);
  });
  if (masks.length === 0) {
    throw new Error(
      `the text has no ${tokenizer.maskToken} token: put ${tokenizer.maskToken} where a word should be predicted`,
    );
  }
  const targets = opts.targets ? resolveTargets(tokenizer, opts.targets) : undefined;
  const windows = makeWindows(enc.ids, masks, scorer.maxPositions, tokenizer);
  const values = await scorer.logits(
    windows.ids,
    windows.attention,
    windows.batchSize,
    windows.seqLen,
    windows.positions,
  ); // [masks, vocab]
  const vocab = values.length / masks.length;
  const perMask: FillMaskResult[][] = [];
  for (let m = 0; m < masks.length; m++) {
    const row = values.subarray(m * vocab, (m + 1) * vocab);
    const span = enc.offsets[masks[m]];
    if (targets) {
      perMask.push(await scoreTargets(scorer, windows, m, row, targets, topK, text, span, tokenizer));
      continue;
    }
    perMask.push(
      topKSoftmax(row, topK).map(({ id, score }) => {
        const token = tokenizer.displayToken(id);
        return { token, id, score, sequence: replaceSpan(text, span, token) };
      }),
    );
  }
  if (masks.length < 2 || beam === 0) return { masks: perMask };
  // The text in one row: this pass is also the joint decoder's first step.
  const initial = windows.batchSize === 1 ? values : undefined;
  const joint = await jointFill(scorer, tokenizer, text, enc, masks, { beam, targets, initial });
  return { masks: perMask, ...joint };
}

export interface Windows {
  ids: Int32Array;
  attention: Int32Array;
  batchSize: number;
  seqLen: number;
  /** Flat positions b * seqLen + t of each mask, in mask order. */
  positions: Int32Array;
}

/** The whole text as one row when it fits; otherwise one [CLS] window [SEP] row per mask, centred on it. */
export function makeWindows(
  ids: number[],
  masks: number[],
  maxPositions: number,
  tokenizer: Tokenizer,
): Windows {
  if (ids.length <= maxPositions) {
    return {
      ids: Int32Array.from(ids),
      attention: new Int32Array(ids.length).fill(1),
      batchSize: 1,
      seqLen: ids.length,
      positions: Int32Array.from(masks),
    };
  }
  const { cls, sep } = tokenizer.special;
  const hasCls = ids[0] === cls ? 1 : 0;
  const hasSep = ids[ids.length - 1] === sep ? 1 : 0;
  const content = ids.slice(hasCls, ids.length - hasSep);
  const span = maxPositions - 2; // room for [CLS] and [SEP]
  const seqLen = maxPositions;
  const out = new Int32Array(masks.length * seqLen);
  const positions = new Int32Array(masks.length);
  masks.forEach((tokenIndex, m) => {
    const p = tokenIndex - hasCls; // index in content
    const start = Math.max(0, Math.min(p - Math.floor(span / 2), content.length - span));
    const row = out.subarray(m * seqLen, (m + 1) * seqLen);
    row[0] = cls;
    row.set(content.slice(start, start + span), 1);
    row[seqLen - 1] = sep;
    positions[m] = m * seqLen + 1 + p - start;
  });
  return {
    ids: out,
    attention: new Int32Array(out.length).fill(1),
    batchSize: masks.length,
    seqLen,
    positions,
  };
}
