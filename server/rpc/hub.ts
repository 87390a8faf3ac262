/** Handlers of mlm/hubModels and mlm/useHubModel (thin: validate, call server/app/hubModels, map errors). */
import { LSPErrorCodes, ResponseError, type Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { HubModelsRequest, HubProgressNotification, UseHubModelRequest } from '../../protocol/hub';
import type { AppState } from '../app/appState';
import { cachedHubModels, useHubModel } from '../app/hubModels';
import { guarded } from './guarded';

export function registerHub(connection: Connection, app: AppState): void {
  connection.onRequest(
    HubModelsRequest.type,
    guarded(() => cachedHubModels()),
  );
  connection.onRequest(
    UseHubModelRequest.type,
    guarded(async (params, token) => {
      if (typeof params?.model !== 'string' || !params.model.trim()) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'mlm/useHubModel needs { model } (ORG/NAME or a cache folder)',
        );
      }
      if (params.revision !== undefined && (typeof params.revision !== 'string' || !params.revision)) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'revision must be a non-empty string (a branch, tag or commit)',
        );
      }
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      // At most ~10 notifications a second; the latest one is always sent (after the interval), so a stalled
      // download shows what has arrived.
      let last = 0;
      let pending: HubProgressNotification.Params | undefined;
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        if (!pending) return;
        last = Date.now();
        void connection.sendNotification(HubProgressNotification.type, pending);
        pending = undefined;
      };
      try {
        return await useHubModel(
          app.model,
          { model: params.model.trim(), revision: params.revision },
          {
            root: app.root,
            signal: controller.signal,
            log: (level, message) => app.log(level, message),
            onProgress: (p) => {
              pending = { model: p.repoId, file: p.file, received: p.received, total: p.total };
              const wait = last + 100 - Date.now();
              if (wait <= 0 || p.received >= p.total) flush();
              else timer ??= setTimeout(flush, wait);
            },
          },
        );
      } catch (err) {
        if (token.isCancellationRequested)
          throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
        throw err;
      } finally {
        if (timer) clearTimeout(timer);
        flush();
        sub.dispose();
      }
    }),
  );
}
