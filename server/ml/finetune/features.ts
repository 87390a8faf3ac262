/**
 * Labelled examples → model inputs. A text becomes [CLS] text [SEP] (a pair: [CLS] a [SEP] b [SEP], segment ids
 * 0 then 1), cut to maxLength (pairs: the longer text loses tokens first, as transformers' "longest_first"); a
 * CoNLL sentence is tokenized word by word and each word's tag sits on its first sub-token, the others ignored in
 * the loss. Truncations are counted. Batches are padded to their longest row only.
 */
import type { Tokenizer } from '../types';
import type { TaskBatch } from './model';
import {
  isTokenExample,
  type BadRow,
  type LabelledExample,
  type TaskKind,
  type TextExample,
  type TokenExample,
} from './types';

export interface Feature {
  /** Token ids with the special tokens. */
  ids: Int32Array;
  /** Segment ids (pairs only). */
  typeIds?: Int32Array;
  /** classification: the class id; otherwise -1. */
  label: number;
  /** token: per token, the tag id on a word's first sub-token, else -1 (ignored). */
  tokenLabels?: Int32Array;
  /** multilabel: multi-hot [labels]; regression: the targets. */
  targets?: Float32Array;
  /** Tokens were cut to fit maxLength. */
  truncated: boolean;
}

export interface FeatureSpec {
  task: TaskKind;
  /** id2label (regression: target names). */
  labels: readonly string[];
  /** Tokens per row including the special tokens. */
  maxLength: number;
}

export interface EncodedSet {
  features: Feature[];
  /** The examples the features came from (same order). */
  examples: LabelledExample[];
  truncated: number;
  bad: BadRow[];
}

/** The word-level spans of a token sequence: for each word, its first token index (or -1 when it got none). */
export function wordStarts(words: readonly string[]): { text: string; starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  let text = '';
  for (const w of words) {
    if (text) text += ' ';
    starts.push(text.length);
    text += w;
    ends.push(text.length);
  }
  return { text, starts, ends };
}

/**
 * Tokenizes a sentence given as words: ids without special tokens and, per word, the index of its first token
 * (-1 when it produced none) — the first-sub-token alignment of transformers' word_ids().
 */
export function tokenizeWords(
  tokenizer: Tokenizer,
  words: readonly string[],
): { ids: number[]; firstToken: number[]; tokenWord: number[] } {
  const { text, starts, ends } = wordStarts(words);
  const enc = tokenizer.encode(text, { addSpecialTokens: false });
  const firstToken = new Array<number>(words.length).fill(-1);
  const tokenWord: number[] = [];
  let w = 0;
  for (let t = 0; t < enc.ids.length; t++) {
    const start = enc.offsets[t][0];
    while (w < words.length && ends[w] <= start) w++;
    const word = w < words.length && starts[w] <= start ? w : -1;
    tokenWord.push(word);
    if (word >= 0 && firstToken[word] < 0) firstToken[word] = t;
  }
  return { ids: enc.ids, firstToken, tokenWord };
}

function encodeText(
  e: TextExample,
  tokenizer: Tokenizer,
  spec: FeatureSpec,
  index: Map<string, number>,
): Feature | string {
  const { cls, sep } = tokenizer.special;
  let a = tokenizer.encode(e.text, { addSpecialTokens: false }).ids;
  let b =
    e.textPair !== undefined ? tokenizer.encode(e.textPair, { addSpecialTokens: false }).ids : undefined;
  const room = spec.maxLength - (b ? 3 : 2);
  if (room < (b ? 2 : 1)) return `maxLength ${spec.maxLength} leaves no room for the text`;
  let truncated = false;
  if (!b && a.length > room) {
    a = a.slice(0, room);
    truncated = true;
  }
  if (b && a.length + b.length > room) {
    truncated = true;
    let la = a.length;
    let lb = b.length;
    while (la + lb > room) {
      if (la > lb) la--;
      else lb--;
    }
    a = a.slice(0, la);
    b = b.slice(0, lb);
  }
  const ids = Int32Array.from([cls, ...a, sep, ...(b ? [...b, sep] : [])]);
  const f: Feature = { ids, label: -1, truncated };
  if (b)
    f.typeIds = Int32Array.from([
      ...new Array<number>(a.length + 2).fill(0),
      ...new Array<number>(b.length + 1).fill(1),
    ]);
  if (spec.task === 'classification') {
    f.label = index.get(e.labels[0]) ?? -1;
    if (f.label < 0) return `unknown label "${e.labels[0]}"`;
  } else if (spec.task === 'multilabel') {
    f.targets = new Float32Array(spec.labels.length);
    for (const l of e.labels) {
      const i = index.get(l);
      if (i === undefined) return `unknown label "${l}"`;
      f.targets[i] = 1;
    }
  } else {
    const v = e.values ?? [];
    if (v.length !== spec.labels.length) {
      return `${v.length} target value${v.length === 1 ? '' : 's'} but the task has ${spec.labels.length}`;
    }
    f.targets = Float32Array.from(v);
  }
  return f;
}

function encodeWords(
  e: TokenExample,
  tokenizer: Tokenizer,
  spec: FeatureSpec,
  index: Map<string, number>,
): Feature | string {
  const { cls, sep } = tokenizer.special;
  const { ids, firstToken } = tokenizeWords(tokenizer, e.words);
  const room = spec.maxLength - 2;
  const kept = ids.slice(0, room);
  const labels = new Int32Array(kept.length + 2).fill(-1);
  let labelled = 0;
  let truncated = false;
  for (let w = 0; w < e.words.length; w++) {
    const t = firstToken[w];
    const id = index.get(e.tags[w]);
    if (id === undefined) return `unknown tag "${e.tags[w]}"`;
    if (t < 0) continue; // the word produced no token (e.g. only control characters)
    if (t >= room) {
      truncated = true;
      continue;
    }
    labels[t + 1] = id;
    labelled++;
  }
  if (!labelled) return 'no word of the sentence survives tokenization';
  return {
    ids: Int32Array.from([cls, ...kept, sep]),
    label: -1,
    tokenLabels: labels,
    truncated: truncated || ids.length > room,
  };
}

/** Encodes examples for the task; rows that cannot be encoded become bad rows. */
export function encodeExamples(
  examples: readonly LabelledExample[],
  tokenizer: Tokenizer,
  spec: FeatureSpec,
): EncodedSet {
  const index = new Map(spec.labels.map((l, i) => [l, i]));
  const out: EncodedSet = { features: [], examples: [], truncated: 0, bad: [] };
  for (const e of examples) {
    const tokenTask = spec.task === 'token';
    if (tokenTask !== isTokenExample(e)) {
      out.bad.push({
        where: e.where,
        reason: tokenTask ? 'not a word/tag sentence' : 'a word/tag sentence, not a text',
      });
      continue;
    }
    const f = isTokenExample(e)
      ? encodeWords(e, tokenizer, spec, index)
      : encodeText(e, tokenizer, spec, index);
    if (typeof f === 'string') {
      out.bad.push({ where: e.where, reason: f });
      continue;
    }
    if (f.truncated) out.truncated++;
    out.features.push(f);
    out.examples.push(e);
  }
  return out;
}

/** One batch of features, padded to its longest row. */
export function makeBatch(
  features: readonly Feature[],
  task: TaskKind,
  numLabels: number,
  padId: number,
): TaskBatch {
  const batchSize = features.length;
  const seqLen = Math.max(...features.map((f) => f.ids.length));
  const n = batchSize * seqLen;
  const inputIds = new Int32Array(n).fill(padId);
  const attentionMask = new Int32Array(n);
  const pairs = features.some((f) => f.typeIds);
  const tokenTypeIds = pairs ? new Int32Array(n) : undefined;
  const positions: number[] = [];
  const labels: number[] = [];
  const targets =
    task === 'multilabel' || task === 'regression' ? new Float32Array(batchSize * numLabels) : undefined;
  features.forEach((f, b) => {
    const base = b * seqLen;
    inputIds.set(f.ids, base);
    attentionMask.fill(1, base, base + f.ids.length);
    if (tokenTypeIds && f.typeIds) tokenTypeIds.set(f.typeIds, base);
    if (task === 'token') {
      const tl = f.tokenLabels!;
      for (let t = 0; t < tl.length; t++) {
        if (tl[t] < 0) continue;
        positions.push(base + t);
        labels.push(tl[t]);
      }
    } else {
      positions.push(base);
      labels.push(f.label);
      if (targets && f.targets) targets.set(f.targets, b * numLabels);
    }
  });
  const batch: TaskBatch = {
    batchSize,
    seqLen,
    inputIds,
    attentionMask,
    maskedPositions: Int32Array.from(positions),
    labels: Int32Array.from(labels),
  };
  if (tokenTypeIds) batch.tokenTypeIds = tokenTypeIds;
  if (targets) batch.targets = targets;
  return batch;
}
