/**
 * The fill-mask hover: a markdown table of the top-k tokens with their probabilities, each row linking to the
 * client command REPLACE_MASK_COMMAND with the replacement, and above it, when the paragraph holds several masks,
 * the best joint completions of the paragraph, each linking to a fill of every mask (pure; unit-tested).
 */
import { REPLACE_MASK_COMMAND, type ReplaceMaskArgs, type TextRange } from '../../protocol/inference';
import type { JointCompletion, MaskPrediction } from '../../protocol/shared/fillMask';
import { continuationText } from '../../protocol/shared/wordpiece';
import { escapeMarkdown } from '../../protocol/shared/markdown';
import { replacementFor } from './maskText';

/** `command:` URI with the arguments JSON-encoded as VS Code expects (an array of arguments). */
export function commandUri(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

export interface HoverTableInput {
  uri: string;
  range: TextRange;
  /** Spaces/tabs between the previous word and the mask on the same line. */
  gapBefore?: number;
  predictions: MaskPrediction[];
  /** e.g. "run 20261129-tiny, step 200". */
  modelLabel: string;
  /** Several masks in the paragraph: its best joint completions, and where each of its masks is. */
  joint?: HoverJoint;
}

export interface HoverJoint {
  completions: JointCompletion[];
  /** The paragraph the model saw. */
  text: string;
  /** [start, end) of each mask in `text`, in order (one per completion token). */
  spans: Array<[number, number]>;
  /** Each mask's range in the document and the spaces before it (for the replace-all link). */
  ranges: Array<{ range: TextRange; gapBefore: number }>;
  /** Index of the hovered mask in `spans`. */
  hovered: number;
}

/** Characters of context shown before the first and after the last mask of a completion. */
const SNIPPET_CONTEXT = 40;

/**
 * The paragraph from a little before its first mask to a little after its last, every mask replaced by its token in
 * bold (a "##" piece joined to the word before it), as escaped markdown; "…" where text was left out.
 */
export function jointSnippet(text: string, spans: Array<[number, number]>, tokens: string[]): string {
  const from = Math.max(0, spans[0][0] - SNIPPET_CONTEXT);
  const to = Math.min(text.length, spans[spans.length - 1][1] + SNIPPET_CONTEXT);
  let out = from > 0 ? '…' : '';
  let at = from;
  spans.forEach(([start, end], i) => {
    let before = text.slice(at, start);
    const piece = continuationText(tokens[i]);
    if (piece !== undefined) before = before.replace(/[ \t]+$/, '');
    out += escapeMarkdown(before) + `**${escapeMarkdown(piece ?? tokens[i])}**`;
    at = end;
  });
  out += escapeMarkdown(text.slice(at, to)) + (to < text.length ? '…' : '');
  return out.replace(/\s+/g, ' ').trim();
}

function pct(score: number): string {
  return `${(score * 100).toFixed(score >= 0.1 ? 1 : 2)}%`;
}

export function hoverMarkdown(h: HoverTableInput): string {
  const rows = h.predictions.map((p, i) => {
    const r = replacementFor(p.token, h.range, h.gapBefore ?? 0);
    const args: ReplaceMaskArgs = { uri: h.uri, range: r.range, token: r.token };
    const label = p.pieces ? `${p.token} (${p.pieces.join(' ')})` : p.token;
    const link = `[${escapeMarkdown(label) || '(empty)'}](${commandUri(REPLACE_MASK_COMMAND, [args])} "Replace the mask with this token")`;
    return `| ${i + 1} | ${link} | ${pct(p.score)} |`;
  });
  const j = h.joint?.completions.length ? h.joint : undefined;
  return [
    ...(j ? jointRows(h.uri, j) : []),
    // One heading per table: beside the joint completions, the hovered mask's own list says which mask it is.
    j ? `**Mask ${j.hovered + 1} of ${j.spans.length} on its own**` : '**Fill mask**',
    '',
    '| # | token | probability |',
    '|--:|:--|--:|',
    ...rows,
    '',
    `_${escapeMarkdown(h.modelLabel)}_`,
  ].join('\n');
}

/** "Best completions": one row per joint completion, linking to a fill of every mask at once. */
function jointRows(uri: string, j: HoverJoint): string[] {
  const rows = j.completions.map((c, i) => {
    const edits = j.ranges.map((r, m) => replacementFor(c.tokens[m], r.range, r.gapBefore));
    const [first, ...also] = edits;
    const args: ReplaceMaskArgs = { uri, range: first.range, token: first.token, also };
    const link = `[fill all](${commandUri(REPLACE_MASK_COMMAND, [args])} "Fill every mask of the paragraph with this completion")`;
    return `| ${i + 1} | ${jointSnippet(j.text, j.spans, c.tokens)} | ${pct(c.score)} | ${link} |`;
  });
  return [
    `**Best completions** (${j.spans.length} masks, filled jointly)`,
    '',
    '| # | completion | per mask | |',
    '|--:|:--|--:|:--|',
    ...rows,
    '',
  ];
}
