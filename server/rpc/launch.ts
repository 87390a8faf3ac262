/** Handler of mlm/importLaunch (thin: validate, call the app, map errors). */
import type { Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { ImportLaunchRequest } from '../../protocol/launch';
import type { AppState } from '../app/appState';
import { importLaunchRun } from '../app/launchImport';
import { RUN_ID } from '../app/runList';
import { guarded } from './guarded';

export function registerLaunch(connection: Connection, app: AppState): void {
  connection.onRequest(
    ImportLaunchRequest.type,
    guarded((p) => {
      const { bundle, runId, output } = (p ?? {}) as Partial<ImportLaunchRequest.Params>;
      if (typeof bundle !== 'string' || !bundle) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'mlm/importLaunch needs { bundle } (the folder mlm launch wrote)',
        );
      }
      if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          `runId must be a folder name of letters, digits, '.', '_' and '-', got ${JSON.stringify(runId)}`,
        );
      }
      if (output !== undefined && typeof output !== 'string') {
        throw new MlmError(MlmErrorCodes.InvalidParams, "output must be a string (train.py's --out folder)");
      }
      return importLaunchRun(app, { bundle, runId, output });
    }),
  );
}
