/**
 * Application error codes of the `mlm/*` requests (JSON-RPC `ResponseError.code`). They sit outside the
 * ranges JSON-RPC (-32768..-32000) and LSP (-32899..-32800) reserve. The message always names the cause and
 * what to do; `data` may carry details (e.g. the list of config errors).
 */
export const MlmErrorCodes = {
  /** mlm/train while a run is active: a second run is rejected, never queued. Stop the current run first. */
  RunInProgress: 1001,
  /** mlm/stop, mlm/pause or mlm/resume with no active run (or a runId that is not the active one). */
  NoActiveRun: 1002,
  /** The run config failed validation; `data` is `{ errors: string[] }`. */
  InvalidRunConfig: 1003,
  /** mlm/fillMask with no model loaded (no published checkpoint yet and none loaded). */
  NoModel: 1004,
  /** mlm/loadCheckpoint on a path that holds no complete checkpoint. */
  CheckpointNotFound: 1005,
  /** The server has no workspace folder / corpus root to train on or index. */
  NoWorkspace: 1006,
  /** Bad request parameters (wrong types, empty text, topK out of range, text too long). */
  InvalidParams: 1007,
  /** The workspace is not trusted: training and corpus watching are off. */
  Untrusted: 1008,
  /**
   * The run does not fit in memory even at one row per pass (refused before its first step, or an allocation
   * failed after every back-off): the message has the estimate and the settings to change.
   */
  OutOfMemory: 1009,
  /** The compute backend's WebAssembly module aborted: the run (or the fill-mask) ended; it names the cause. */
  ComputeAborted: 1010,
  /**
   * `initialize` on a socket backend (`mlm serve --socket`) without the right token: the connection is closed after
   * this answer. Enter the token printed by `mlm serve` (or its --token-file) in MLM: Connect to Remote Backend….
   */
  Unauthorized: 1011,
  /** A path in a request (config, run, checkpoint, corpus, output) lies outside the roots the backend serves. */
  PathNotAllowed: 1012,
  /** Another live process writes this run folder (its lock names the pid); `data` is RunLockedData. */
  RunLocked: 1013,
  /** mlm/useHubModel: the Hub model could not be fetched or used (not found, gated, offline, no safetensors…). */
  HubModel: 1014,
  /**
   * A fill-mask (mlm/fillMask, mlm/fillMaskAt) the model did not answer within `mlm.inference.deadlineSeconds`: the
   * message says what holds it up (a checkpoint loading, other requests); try again. Hovers show "model busy" instead.
   */
  Busy: 1015,
  /**
   * The inference worker did not answer within `mlm.inference.watchdogSeconds` and was terminated and restarted (its
   * models are loaded again): the requests it held or that waited behind it fail with this code naming the stuck one.
   */
  InferenceRestarted: 1016,
} as const;

export type MlmErrorCode = (typeof MlmErrorCodes)[keyof typeof MlmErrorCodes];

/**
 * A failure the client can act on, with its MlmErrorCodes code: thrown by the server's state and the run-config
 * loader, sent as a JSON-RPC ResponseError (code, message, data) by server/rpc, printed by the CLI.
 */
export class MlmError extends Error {
  constructor(
    readonly code: MlmErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'MlmError';
  }
}

/** `data` of an InvalidRunConfig error. */
export interface InvalidRunConfigData {
  errors: string[];
}

/** `data` of a RunLocked error: who holds the run folder's lock. */
export interface RunLockedData {
  runDir: string;
  pid: number;
  host: string;
  since: string;
}
