/** Handlers of mlm/fillMask and mlm/loadCheckpoint. */
import { LSPErrorCodes, ResponseError, type Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { FillMaskRequest, LoadCheckpointRequest } from '../../protocol/inference';
import { InferenceCancelled } from '../worker/inferenceHost';
import type { AppState } from '../app/appState';
import { guarded } from './guarded';

export const MAX_FILL_TEXT = 100_000;

/** Validates mlm/fillMask params; throws InvalidParams naming the bad field. */
export function checkFillMaskParams(p: unknown): { text: string; topK: number; targets?: string[] } {
  const bad = (msg: string): never => {
    throw new MlmError(MlmErrorCodes.InvalidParams, msg);
  };
  if (typeof p !== 'object' || p === null) bad('mlm/fillMask needs params { text, topK?, targets? }');
  const { text, topK = 5, targets } = p as FillMaskRequest.Params;
  if (typeof text !== 'string' || !text.trim()) bad('text must be a non-empty string holding a mask token');
  if (text.length > MAX_FILL_TEXT) bad(`text is ${text.length} characters; the limit is ${MAX_FILL_TEXT}`);
  if (!Number.isInteger(topK) || topK < 1 || topK > 50)
    bad(`topK must be an integer in 1..50, got ${JSON.stringify(topK)}`);
  if (
    targets !== undefined &&
    (!Array.isArray(targets) || targets.length > 1000 || !targets.every((t) => typeof t === 'string' && t))
  ) {
    bad('targets must be an array of at most 1000 non-empty strings');
  }
  return { text, topK, targets };
}

export function registerInference(connection: Connection, app: AppState): void {
  connection.onRequest(
    FillMaskRequest.type,
    guarded(async (params, token) => {
      try {
        const r = await app.model.fill(checkFillMaskParams(params), () => token.isCancellationRequested);
        if (token.isCancellationRequested) throw new InferenceCancelled('cancelled');
        return r;
      } catch (err) {
        if (err instanceof InferenceCancelled)
          throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
        throw err;
      }
    }),
  );
  connection.onRequest(
    LoadCheckpointRequest.type,
    guarded((params) => {
      if (typeof params?.path !== 'string' || !params.path) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'mlm/loadCheckpoint needs { path } (a run or checkpoint folder)',
        );
      }
      return app.model.load(params.path, 'loaded');
    }),
  );
}
