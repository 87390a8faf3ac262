/**
 * Joint filling of several masks: iterative decoding with a beam of whole-sentence candidates. Each path fills its
 * most confident open mask (the highest top-1 probability) with its `beam` best tokens, the filled text is scored
 * again for the next mask, and the `beam` most probable paths go on; the finished sentences are then ranked by
 * pseudo-log-likelihood (each filled token's log-probability with only its own position masked). So
 * "The [MASK] [MASK] of America" can come out as "United States", where each mask's own list, predicted with the
 * other mask still masked, may pair "United" with "Kingdom". No tensors: the Scorer reads logits back.
 */
import type { Encoding, Tokenizer } from '../types';
import type { JointCompletion } from '../../../protocol/shared/fillMask';
import type { Scorer } from './fillMask';
import { logitsAtRows } from './rowLogits';
import type { ResolvedTargets } from './targets';
import { logSoftmaxAt, topKSoftmax } from './topk';
import { replaceSpans } from './sequence';

/** Whole-sentence candidates kept (and returned) by default. */
export const DEFAULT_BEAM = 5;
/** The widest beam a request may ask for. */
export const MAX_BEAM = 16;
/** Joint decoding runs for at most this many masks (cost: masks forward passes of `beam` rows, then beam × masks rows). */
export const MAX_JOINT_MASKS = 8;
/** Rows per forward pass when scoring the pseudo-log-likelihoods. */
const PLL_ROWS_PER_PASS = 32;

interface Path {
  row: Int32Array;
  /** Token chosen per mask (mask order); -1 while open. */
  chosen: number[];
  logProb: number;
  /** The mask filled last and its token's log-probability with every other mask filled (its PLL term). */
  last?: { mask: number; logProb: number };
}

/** The joint completions of a text, or the reason there are none. */
export async function jointFill(
  scorer: Scorer,
  tokenizer: Tokenizer,
  text: string,
  enc: Encoding,
  masks: number[],
  opts: {
    beam: number;
    targets?: ResolvedTargets;
    /**
     * The logits [masks, vocab] of the whole encoding at every mask (fillMask's own pass, when the text fits the
     * model in one row): the first decoding step's pass, so it is not run twice.
     */
    initial?: Float32Array;
  },
): Promise<{ joint?: JointCompletion[]; jointNote?: string }> {
  const beam = Math.min(opts.beam, MAX_BEAM);
  if (masks.length > MAX_JOINT_MASKS) {
    return {
      jointNote: `${masks.length} masks: joint completions are computed for at most ${MAX_JOINT_MASKS} masks in one text`,
    };
  }
  const window = jointWindow(enc.ids, masks, scorer.maxPositions, tokenizer);
  if (!window) {
    return {
      jointNote: `the masks lie more than the model's ${scorer.maxPositions} positions apart: no joint completion`,
    };
  }
  // Special tokens ([MASK], [CLS], [PAD], …) are never a word of a completion.
  const special = new Set(Object.values(tokenizer.special));
  let candidates: Int32Array = Int32Array.from({ length: tokenizer.vocabSize }, (_, i) => i).filter(
    (i) => !special.has(i),
  );
  if (opts.targets) {
    candidates = opts.targets.single;
    if (candidates.length === 0) {
      return {
        jointNote: 'every target word has several word pieces: joint completions use targets of one piece',
      };
    }
  }
  const { row, positions } = window;
  const seqLen = row.length;
  let paths: Path[] = [{ row, chosen: masks.map(() => -1), logProb: 0 }];
  // The whole encoding is the window: the caller's pass already holds the first step's logits.
  const initial = opts.initial && row.length === enc.ids.length ? opts.initial : undefined;
  for (let step = 0; step < masks.length; step++) {
    const batch = new Int32Array(paths.length * seqLen);
    const flat: number[] = [];
    const owners: Array<{ path: number; mask: number }> = [];
    paths.forEach((p, i) => {
      batch.set(p.row, i * seqLen);
      p.chosen.forEach((c, m) => {
        if (c !== -1) return;
        flat.push(i * seqLen + positions[m]);
        owners.push({ path: i, mask: m });
      });
    });
    const values =
      step === 0 && initial
        ? initial
        : await scorer.logits(
            batch,
            new Int32Array(batch.length).fill(1),
            paths.length,
            seqLen,
            Int32Array.from(flat),
          );
    const vocab = values.length / flat.length;
    // Per path, the open mask whose best token is most probable (ties: the first in text order).
    const best = new Map<
      number,
      { mask: number; top: Array<{ id: number; score: number }>; logits: Float32Array }
    >();
    owners.forEach((o, j) => {
      const logits = values.subarray(j * vocab, (j + 1) * vocab);
      const top = topKSoftmax(logits, beam, candidates);
      const current = best.get(o.path);
      if (top.length && (!current || top[0].score > current.top[0].score))
        best.set(o.path, { mask: o.mask, top, logits });
    });
    const lastStep = step === masks.length - 1;
    const next = new Map<string, Path>();
    paths.forEach((p, i) => {
      const b = best.get(i);
      if (!b) return;
      for (const t of b.top) {
        const chosen = p.chosen.slice();
        chosen[b.mask] = t.id;
        const logProb = p.logProb + Math.log(t.score);
        // The same fills reached in another order are one sentence: keep its most probable path.
        const key = chosen.join(',');
        const seen = next.get(key);
        if (seen && seen.logProb >= logProb) continue;
        const r = p.row.slice();
        r[positions[b.mask]] = t.id;
        // The last mask filled was predicted with every other mask filled: that is its PLL term already.
        const last = lastStep ? { mask: b.mask, logProb: logSoftmaxAt(b.logits, t.id) } : undefined;
        next.set(key, { row: r, chosen, logProb, ...(last ? { last } : {}) });
      }
    });
    paths = [...next.values()].sort((a, b) => b.logProb - a.logProb).slice(0, beam);
  }
  const plls = await pseudoLogLikelihoods(scorer, paths, positions, tokenizer.special.mask);
  const spans = masks.map((i) => enc.offsets[i]);
  const joint = paths
    .map((p, i): JointCompletion => {
      const tokens = p.chosen.map((id) => tokenizer.displayToken(id));
      return {
        tokens,
        ids: p.chosen,
        sequence: replaceSpans(text, spans, tokens),
        pll: plls[i],
        score: Math.exp(plls[i] / masks.length),
      };
    })
    .sort((a, b) => b.pll - a.pll);
  return { joint };
}

/** Σ over the masks of log P(chosen token | the path's sentence with only that position masked), per path. */
async function pseudoLogLikelihoods(
  scorer: Scorer,
  paths: Path[],
  positions: number[],
  maskId: number,
): Promise<number[]> {
  const seqLen = paths[0]?.row.length ?? 0;
  const sums = paths.map((p) => p.last?.logProb ?? 0);
  // One row per distinct sentence with one mask open: paths that differ only at mask m share that row.
  const rows = new Map<
    string,
    { ids: Int32Array; pos: number; users: Array<{ path: number; id: number }> }
  >();
  paths.forEach((p, i) =>
    positions.forEach((pos, m) => {
      if (p.last?.mask === m) return;
      const key = `${m}:${p.chosen.map((c, k) => (k === m ? -1 : c)).join(',')}`;
      const user = { path: i, id: p.chosen[m] };
      const row = rows.get(key);
      if (row) row.users.push(user);
      else {
        const ids = p.row.slice();
        ids[pos] = maskId;
        rows.set(key, { ids, pos, users: [user] });
      }
    }),
  );
  const jobs = [...rows.values()];
  await logitsAtRows(scorer, jobs, seqLen, PLL_ROWS_PER_PASS, (logits, i) => {
    for (const u of jobs[i].users) sums[u.path] += logSoftmaxAt(logits, u.id);
  });
  return sums;
}

/**
 * One token row holding every mask, and the masks' positions in it: the whole encoding when it fits the model,
 * else a [CLS] window [SEP] centred on the masks' span; undefined when the masks do not fit in one window.
 */
export function jointWindow(
  ids: number[],
  masks: number[],
  maxPositions: number,
  tokenizer: Tokenizer,
): { row: Int32Array; positions: number[] } | undefined {
  if (ids.length <= maxPositions) return { row: Int32Array.from(ids), positions: masks.slice() };
  const { cls, sep } = tokenizer.special;
  const hasCls = ids[0] === cls ? 1 : 0;
  const hasSep = ids[ids.length - 1] === sep ? 1 : 0;
  const content = ids.slice(hasCls, ids.length - hasSep);
  const span = maxPositions - 2;
  const first = masks[0] - hasCls;
  const last = masks[masks.length - 1] - hasCls;
  if (last - first + 1 > span) return undefined;
  const centre = Math.floor((first + last) / 2);
  const start = Math.max(0, Math.min(centre - Math.floor(span / 2), content.length - span));
  const row = new Int32Array(maxPositions);
  row[0] = cls;
  row.set(content.slice(start, start + span), 1);
  row[maxPositions - 1] = sep;
  return { row, positions: masks.map((t) => 1 + t - hasCls - start) };
}
