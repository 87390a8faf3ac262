/**
 * The fill-mask hover: a markdown table of the top-k tokens with their probabilities, each row linking to the
 * client command REPLACE_MASK_COMMAND with the replacement (pure; unit-tested).
 */
import { REPLACE_MASK_COMMAND, type ReplaceMaskArgs, type TextRange } from '../../protocol/inference';
import type { MaskPrediction } from '../../protocol/shared/fillMask';
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
}

export function hoverMarkdown(h: HoverTableInput): string {
  const rows = h.predictions.map((p, i) => {
    const r = replacementFor(p.token, h.range, h.gapBefore ?? 0);
    const args: ReplaceMaskArgs = { uri: h.uri, range: r.range, token: r.token };
    const pct = `${(p.score * 100).toFixed(p.score >= 0.1 ? 1 : 2)}%`;
    const link = `[${escapeMarkdown(p.token) || '(empty)'}](${commandUri(REPLACE_MASK_COMMAND, [args])} "Replace the mask with this token")`;
    return `| ${i + 1} | ${link} | ${pct} |`;
  });
  return [
    '**Fill mask**',
    '',
    '| # | token | probability |',
    '|--:|:--|--:|',
    ...rows,
    '',
    `_${escapeMarkdown(h.modelLabel)}_`,
  ].join('\n');
}
