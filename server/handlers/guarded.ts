/** Wraps a request handler so that every failure becomes a ResponseError with an actionable message. */
import type { CancellationToken } from 'vscode-languageserver';
import { toResponseError } from './mlmError';

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
