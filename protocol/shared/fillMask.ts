/** One candidate for one mask of a fill-mask query (like Hugging Face's fill-mask pipeline). */
export interface MaskPrediction {
  /**
   * The predicted token's text in the WordPiece convention: a whole word as is, a piece that continues the word
   * before it as "##ing" (so RoBERTa's "Ġsun" reads "sun" and its "ing" reads "##ing"); or a target word scored by
   * its pieces.
   */
  token: string;
  /** Vocabulary id (a target word of several pieces: its first piece's id). */
  id: number;
  /**
   * Softmax probability over the vocabulary at that mask, in [0, 1]; for a target word of several pieces the
   * product of its pieces' probabilities, each piece predicted with the ones before it filled in.
   */
  score: number;
  /** The input text with this mask replaced by the token (the other masks left as they are). */
  sequence: string;
  /** A target word of several word pieces: its pieces (e.g. ["un", "##happy"]). */
  pieces?: string[];
}

/**
 * One whole-sentence completion of a query with several masks, found jointly: the most confident mask is filled
 * first, the text re-encoded and the next mask predicted with it (a beam of such paths), the finished sentences
 * ranked by pseudo-log-likelihood.
 */
export interface JointCompletion {
  /** The token chosen for each mask, in text order. */
  tokens: string[];
  /** Their vocabulary ids. */
  ids: number[];
  /** The text with every mask filled. */
  sequence: string;
  /**
   * Pseudo-log-likelihood of the filled tokens (natural log): Σ over the masks of log P(token | the sentence with
   * only that position masked). The ranking key, highest first.
   */
  pll: number;
  /** exp(pll / masks): the geometric-mean probability per mask, in [0, 1] (what the editor shows). */
  score: number;
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
