/** Wraps a request handler so that every failure becomes a ResponseError with an actionable message. */
import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver';
import { MlmError } from '../../protocol/errors';
import { InferenceCancelled } from '../worker/inferenceHost';

export function guarded<P, R>(
  fn: (params: P, token: CancellationToken) => R | Promise<R>,
): (params: P, token: CancellationToken) => Promise<R> {
  return async (params, token) => {
    try {
      return await fn(params, token);
    } catch (err) {
      throw toResponseError(err);
    }
  };
}

/** Maps anything thrown by a handler to a ResponseError (MlmError keeps its code; others are internal errors). */
export function toResponseError(err: unknown): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (err instanceof MlmError) return new ResponseError(err.code, err.message, err.data);
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(-32603, `internal error: ${message}; see the MLM backend log`);
}

/**
 * Runs a fill-mask call for a request that the client may cancel: a cancelled request (dropped before the worker
 * started it, or cancelled while it ran — its answer is cached all the same) fails with RequestCancelled.
 */
export async function cancellable<R>(token: CancellationToken, run: () => Promise<R>): Promise<R> {
  try {
    const r = await run();
    if (token.isCancellationRequested) throw new InferenceCancelled('cancelled');
    return r;
  } catch (err) {
    if (err instanceof InferenceCancelled || token.isCancellationRequested) {
      throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    }
    throw err;
  }
}
