/** One candidate for one mask of a fill-mask query (like Hugging Face's fill-mask pipeline). */
export interface MaskPrediction {
  /** The predicted token's text as in the vocabulary (e.g. "##ing"). */
  token: string;
  /** Vocabulary id. */
  id: number;
  /** Softmax probability over the vocabulary at that mask, in [0, 1]. */
  score: number;
  /** The input text with this mask replaced by the token (the other masks left as they are). */
  sequence: string;
}
