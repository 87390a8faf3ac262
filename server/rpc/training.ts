/**
 * Handlers of mlm/train, mlm/stop, mlm/pause, mlm/resume, mlm/runs, mlm/runMetrics and mlm/runDetails (thin:
 * validate, call, map errors).
 */
import type { Connection } from 'vscode-languageserver';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import {
  PauseRequest,
  ResumeRequest,
  RunDetailsRequest,
  RunMetricsRequest,
  RunsRequest,
  StopRequest,
  TrainRequest,
} from '../../protocol/training';
import type { AppState } from '../app/appState';
import { guarded } from './guarded';
import { listRunInfos, runDetails, runMetricsPage } from '../app/runList';

const runIdOf = (p: unknown): string | undefined => {
  const id = (p as { runId?: unknown } | null | undefined)?.runId;
  if (id !== undefined && typeof id !== 'string')
    throw new MlmError(MlmErrorCodes.InvalidParams, 'runId must be a string');
  return id;
};

export function registerTraining(connection: Connection, app: AppState): void {
  connection.onRequest(
    TrainRequest.type,
    guarded(async (params) => {
      if (typeof params !== 'object' || params === null) {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'mlm/train needs params { config }, { configPath } or { resumeFrom }',
        );
      }
      if (params.configPath !== undefined && typeof params.configPath !== 'string') {
        throw new MlmError(
          MlmErrorCodes.InvalidParams,
          'configPath must be a string (path of a *.mlm.json file)',
        );
      }
      return app.train(params);
    }),
  );
  connection.onRequest(
    StopRequest.type,
    guarded((p) => app.runs.stop(runIdOf(p))),
  );
  connection.onRequest(
    PauseRequest.type,
    guarded((p) => app.runs.pause(runIdOf(p))),
  );
  connection.onRequest(
    ResumeRequest.type,
    guarded((p) => app.runs.resume(runIdOf(p))),
  );
  connection.onRequest(
    RunsRequest.type,
    guarded((p) => {
      if (!app.root || !app.trusted) return { runs: [] };
      return listRunInfos(app.root, app.runs.activeRun?.runId, p ?? {});
    }),
  );
  connection.onRequest(
    RunMetricsRequest.type,
    guarded((p) => runMetricsPage(app.runsWorkspace(), p)),
  );
  connection.onRequest(
    RunDetailsRequest.type,
    guarded((p) => runDetails(app.runsWorkspace(), app.runs.activeRun?.runId, p)),
  );
}
