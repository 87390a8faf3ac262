/** Turns a failed backend request or command into one user-facing message (the backend's text names the fix). */
import { ResponseError } from 'vscode-languageclient/node';
import { MlmErrorCodes, type InvalidRunConfigData } from '../../protocol/errors';

export function describeError(err: unknown): string {
  if (err instanceof ResponseError) {
    if (err.code === MlmErrorCodes.InvalidRunConfig) {
      const data = err.data as InvalidRunConfigData | undefined;
      // The backend's message usually lists the errors already; add only those it does not name.
      const more = (data?.errors ?? []).filter((e) => !err.message.includes(e)).slice(0, 5);
      return more.length ? `${err.message}: ${more.join('; ')}` : err.message;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
