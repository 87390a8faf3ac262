/**
 * The WordPiece "##" continuation rule for text shown or inserted in the editor: a continuation piece ("##ing")
 * joins the word before it without its prefix. A bare "##" has no text after the prefix, so it is not a
 * continuation: it stands for itself (inserting nothing would only delete the mask).
 */
export const CONTINUATION_PREFIX = '##';

/** The text a continuation piece adds to the word before it ("##ing" → "ing"); undefined for a whole token. */
export function continuationText(token: string): string | undefined {
  return token.length > CONTINUATION_PREFIX.length && token.startsWith(CONTINUATION_PREFIX)
    ? token.slice(CONTINUATION_PREFIX.length)
    : undefined;
}
