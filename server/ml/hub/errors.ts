/** Failures of the Hub client and the cache, each with a code and a message naming the cause and what to do. */
export type HubErrorCode =
  /** Not a valid model id or revision. */
  | 'InvalidId'
  /** The repo, revision or file does not exist on the Hub. */
  | 'NotFound'
  /** The repo is private or gated and no (or a refused) token was sent. */
  | 'Unauthorized'
  /** HF_HUB_OFFLINE is set, or the Hub cannot be reached, and the cache lacks what is needed. */
  | 'NotCached'
  /** The Hub could not be reached (DNS, connection refused, timeout) or answered with a server error. */
  | 'Network'
  /** A download does not match the size or hash the Hub reported. */
  | 'Corrupt'
  /** The repo has no weights this product can load (only pickle, TF or Flax files). */
  | 'NoUsableWeights'
  /** The download was cancelled (AbortSignal). */
  | 'Cancelled';

export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}
