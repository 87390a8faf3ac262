/** Handler of mlm/exportRun (thin: validate, find the run, export with the core, map errors). */
import path from 'node:path';
import type { Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { ExportRunRequest } from '../../protocol/export';
import type { AppState } from '../app/appState';
import { runListing } from '../app/runList';
import { exportTaskModel, isTaskModelFolder } from '../ml/finetune';
import { exportRun } from '../ml/hf';
import { guarded } from './guarded';

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

export function registerExport(connection: Connection, app: AppState): void {
  connection.onRequest(
    ExportRunRequest.type,
    guarded(async (params): Promise<ExportRunRequest.Result> => {
      if (typeof params !== 'object' || params === null) bad('mlm/exportRun needs { runId, out, force? }');
      if (typeof params.out !== 'string' || !params.out.trim())
        bad('out must be the folder to write (a path)');
      if (params.force !== undefined && typeof params.force !== 'boolean') bad('force must be true or false');
      const run = runListing(app.runsWorkspace(), params.runId);
      const out = app.requestPath(params.out.trim(), 'out');
      const force = params.force ?? false;
      try {
        if (isTaskModelFolder(run.dir)) {
          const t = await exportTaskModel(run.dir, out, { force });
          return {
            outDir: t.outDir,
            files: t.files.map((f) => path.basename(f)),
            ...(t.step === undefined ? {} : { step: t.step }),
            loadWith:
              t.head.task === 'token'
                ? 'AutoModelForTokenClassification'
                : 'AutoModelForSequenceClassification',
          };
        }
        const r = await exportRun(run.dir, out, { force });
        return {
          outDir: r.outDir,
          files: r.files.map((f) => path.basename(f)),
          step: r.step,
          loadWith: 'BertForMaskedLM',
        };
      } catch (err) {
        if (err instanceof MlmError) throw err;
        // The exporter's messages name the cause (no checkpoint, a non-empty folder without force, …).
        throw new MlmError(MlmErrorCodes.InvalidParams, (err as Error).message);
      }
    }),
  );
}
