/** Writing predicted tokens into the query text (pure). */
import { continuationText } from '../../../protocol/shared/wordpiece';

/** The text with the mask's span replaced by the token ("##" continuation pieces join the previous word). */
export function replaceSpan(text: string, [start, end]: [number, number], token: string): string {
  const piece = continuationText(token);
  if (piece !== undefined) {
    let s = start;
    while (s > 0 && /\s/.test(text[s - 1])) s--;
    return text.slice(0, s) + piece + text.slice(end);
  }
  return text.slice(0, start) + token + text.slice(end);
}

/** The text with several spans (in text order, not overlapping) replaced, each by replaceSpan's rule. */
export function replaceSpans(text: string, spans: Array<[number, number]>, tokens: string[]): string {
  let out = text;
  for (let i = spans.length - 1; i >= 0; i--) out = replaceSpan(out, spans[i], tokens[i]);
  return out;
}
