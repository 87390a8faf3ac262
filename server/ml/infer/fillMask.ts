/**
 * Fill-mask: for every [MASK] in a text, the most likely vocabulary tokens with their probabilities
 * (like Hugging Face's fill-mask pipeline). One forward pass for all masks; a text longer than the model's
 * positions is cut into one window per mask, centred on it. Leak-free; the logits are read asynchronously (every
 * backend: webgpu has no synchronous read in Node).
 */
import { readData } from '../backend/read';
import type { FillMaskResult, MlmModel, Tokenizer } from '../types';
import { topKSoftmax } from './topk';
import { continuationText } from '../../../protocol/shared/wordpiece';
import { withModelMask } from '../../../protocol/shared/fillMask';

export type { FillMaskResult } from '../types';

export interface FillMaskOptions {
  /** Candidates per mask (default 5). */
  topK?: number;
  /** Restrict the candidates to these words (each mapped to its vocabulary id, or its first word piece). */
  targets?: string[];
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
  const topK = opts.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer, got ${topK}`);
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
  const candidates = opts.targets ? targetIds(tokenizer, opts.targets) : undefined;
  const windows = makeWindows(enc.ids, masks, model.config.maxPositionEmbeddings, tokenizer);
  const logits = model.logitsAt(
    windows.ids,
    windows.attention,
    windows.batchSize,
    windows.seqLen,
    windows.positions,
  );
  let values: Float32Array;
  try {
    values = (await readData(logits)) as Float32Array; // [masks, vocab]
  } finally {
    logits.dispose();
  }
  const vocab = values.length / masks.length;
  return masks.map((tokenIndex, m) =>
    topKSoftmax(values.subarray(m * vocab, (m + 1) * vocab), topK, candidates).map(({ id, score }) => {
      const token = tokenizer.displayToken(id);
      return { token, id, score, sequence: replaceSpan(text, enc.offsets[tokenIndex], token) };
    }),
  );
}

interface Windows {
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

function targetIds(tokenizer: Tokenizer, targets: string[]): Int32Array {
  const ids = targets.map((word) => {
    const direct =
      tokenizer.tokenToId(word) ??
      (tokenizer.lowercase ? tokenizer.tokenToId(word.toLowerCase()) : undefined);
    if (direct !== undefined) return direct;
    const pieces = tokenizer.encode(word, { addSpecialTokens: false }).ids;
    if (pieces.length === 0) throw new Error(`target "${word}" produces no tokens: give a non-empty word`);
    return pieces[0]; // like Hugging Face: a word outside the vocabulary is scored by its first word piece
  });
  return Int32Array.from(new Set(ids));
}

/** The text with the mask's span replaced by the token ("##" continuation pieces join the previous word). */
function replaceSpan(text: string, [start, end]: [number, number], token: string): string {
  const piece = continuationText(token);
  if (piece !== undefined) {
    let s = start;
    while (s > 0 && /\s/.test(text[s - 1])) s--;
    return text.slice(0, s) + piece + text.slice(end);
  }
  return text.slice(0, start) + token + text.slice(end);
}
