/** A failure the client can act on: becomes a JSON-RPC ResponseError with an MlmErrorCodes code. */
import { ResponseError } from 'vscode-languageserver';
import type { MlmErrorCode } from '../../protocol/errors';

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

/** Maps anything thrown by a handler to a ResponseError (MlmError keeps its code; others are internal errors). */
export function toResponseError(err: unknown): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (err instanceof MlmError) return new ResponseError(err.code, err.message, err.data);
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(-32603, `internal error: ${message}; see the MLM backend log`);
}
