/**
 * Which scored words the surprise lens marks, and the markdown of a marked word's hover (pure; unit-tested).
 */
import { REPLACE_WORD_COMMAND, type ReplaceWordArgs, type SurpriseWord } from '../../protocol/surprise';
import { escapeMarkdown } from '../../protocol/shared/markdown';

/** At most this share of the scored words is marked, however low the threshold (the least likely first). */
export const MAX_MARKED_SHARE = 0.1;

/** The words below `threshold`, least likely first, at most MAX_MARKED_SHARE of all (at least one when any is below). */
export function pickSurprising(words: SurpriseWord[], threshold: number): SurpriseWord[] {
  const below = words.filter((w) => w.probability < threshold).sort((a, b) => a.probability - b.probability);
  return below.slice(0, Math.max(1, Math.floor(words.length * MAX_MARKED_SHARE)));
}

/** "0.012%" / "3.4%" */
export function formatProbability(p: number): string {
  const pct = p * 100;
  return `${pct >= 1 ? pct.toFixed(1) : pct >= 0.01 ? pct.toFixed(2) : pct.toExponential(1)}%`;
}

/** The hover of a marked word: its probability, and the model's alternatives as one-click replacements. */
export function surpriseHoverMarkdown(uri: string, w: SurpriseWord, modelLabel: string): string {
  const rows = w.alternatives.map((a, i) => {
    const args: ReplaceWordArgs = { uri, range: w.range, word: w.word, token: a.token };
    const link = `[${escapeMarkdown(a.token)}](command:${REPLACE_WORD_COMMAND}?${encodeURIComponent(JSON.stringify([args]))} "Replace the word with this one")`;
    return `| ${i + 1} | ${link} | ${formatProbability(a.score)} |`;
  });
  return [
    `**Surprising word** \`${w.word.replace(/`/g, "'")}\` — the model gives it ${formatProbability(w.probability)}`,
    '',
    ...(rows.length ? ['| # | it expected | probability |', '|--:|:--|--:|', ...rows, ''] : []),
    `_${escapeMarkdown(modelLabel)} · MLM: Show Surprising Words turns the lens off_`,
  ].join('\n');
}
