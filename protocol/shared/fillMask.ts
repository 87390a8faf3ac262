/** One candidate for one mask of a fill-mask query (like Hugging Face's fill-mask pipeline). */
export interface MaskPrediction {
  /**
   * The predicted token's text in the WordPiece convention: a whole word as is, a piece that continues the word
   * before it as "##ing" (so RoBERTa's "Ġsun" reads "sun" and its "ing" reads "##ing").
   */
  token: string;
  /** Vocabulary id. */
  id: number;
  /** Softmax probability over the vocabulary at that mask, in [0, 1]. */
  score: number;
  /** The input text with this mask replaced by the token (the other masks left as they are). */
  sequence: string;
}

/**
 * The two spellings of the mask token: BERT's and DistilBERT's "[MASK]", RoBERTa's and XLM-R's "<mask>". Both are
 * understood whatever the model (the hover finds either; fill-mask maps one onto the model's own); they have the
 * same length, so offsets in the text do not move.
 */
export const MASK_SPELLINGS = ['[MASK]', '<mask>'] as const;

/** The text with every other spelling of the mask (MASK_SPELLINGS, same length) written as `modelMask`. */
export function withModelMask(text: string, modelMask: string): string {
  let out = text;
  for (const s of MASK_SPELLINGS)
    if (s !== modelMask && s.length === modelMask.length) out = out.split(s).join(modelMask);
  return out;
}
