/** Turns a failed backend request or command into one user-facing message (the backend's text names the fix). */
import { ResponseError } from 'vscode-languageclient/node';
import { MlmErrorCodes, type InvalidRunConfigData } from '../../protocol/errors';

export function describeError(err: unknown): string {
  if (err instanceof ResponseError) {
    if (err.code === MlmErrorCodes.InvalidRunConfig) {
      const data = err.data as InvalidRunConfigData | undefined;
      const list = data?.errors?.length ? `: ${data.errors.slice(0, 5).join('; ')}` : '';
      return `${err.message}${list}`;
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
