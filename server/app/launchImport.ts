/**
 * mlm/importLaunch on the server's side: a launch bundle's output becomes a run under the workspace's runs folder
 * (server/ml/launch does the work); the paths are checked against the served roots first.
 */
import * as path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import type { ImportLaunchRequest } from '../../protocol/launch';
import { defaultRunsRoot } from '../ml/checkpoint';
import { importLaunchOutput } from '../ml/launch';
import type { AppState } from './appState';

export async function importLaunchRun(
  app: AppState,
  p: ImportLaunchRequest.Params,
): Promise<ImportLaunchRequest.Result> {
  const root = app.runsWorkspace();
  const bundleDir = app.requestPath(p.bundle, 'bundle');
  const outputDir = p.output !== undefined ? app.requestPath(p.output, 'output') : undefined;
  const runDir = path.join(defaultRunsRoot(root), p.runId);
  try {
    const r = await importLaunchOutput({ bundleDir, runDir, outputDir });
    return { ...r, runId: p.runId };
  } catch (err) {
    throw new MlmError(MlmErrorCodes.InvalidParams, (err as Error).message);
  }
}
