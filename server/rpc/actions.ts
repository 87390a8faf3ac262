/**
 * Handlers of mlm/evaluateRun, mlm/importModel and mlm/coverageReport (thin: validate, run the job through
 * server/app/runActions.ts, map progress, cancellation and errors).
 */
import { LSPErrorCodes, ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver';
import {
  CoverageReportRequest,
  EvaluateRunRequest,
  ImportModelRequest,
  MAX_COVERAGE_TEXT,
} from '../../protocol/actions';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { coverageOf, evaluateRun, importModel, type JobControl } from '../app/runActions';
import type { AppState } from '../app/appState';
import { RUN_ID } from '../app/runList';
import { JobCancelled } from '../worker/jobHost';
import { guarded } from './guarded';
import { workDoneReporter } from './workDone';

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

const isPathList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.trim() !== '');

/** Runs a job with the request's progress token and cancellation; a cancelled job fails with RequestCancelled. */
async function withJob<R>(
  connection: Connection,
  token: CancellationToken,
  progressToken: string | number | undefined,
  title: string,
  run: (control: JobControl) => Promise<R>,
): Promise<R> {
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  const progress = workDoneReporter(connection, progressToken, title);
  try {
    return await run({ signal: abort.signal, progress: (m, f) => progress.report(m, f) });
  } catch (err) {
    if (err instanceof JobCancelled || token.isCancellationRequested)
      throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    throw err;
  } finally {
    sub.dispose();
    progress.end();
  }
}

export function registerActions(connection: Connection, app: AppState): void {
  connection.onRequest(
    EvaluateRunRequest.type,
    guarded((p, token) => {
      if (typeof p !== 'object' || p === null) bad('mlm/evaluateRun needs { runId, corpus? | data? }');
      if (p.corpus !== undefined && !isPathList(p.corpus))
        bad('corpus must be a non-empty list of paths (files, folders or globs)');
      if (p.data !== undefined && (typeof p.data !== 'string' || !p.data.trim()))
        bad('data must be the labelled file (a path)');
      if (p.corpus !== undefined && p.data !== undefined)
        bad('give corpus (a pretraining run) or data (a fine-tuned run), not both');
      if (
        p.batchSize !== undefined &&
        (!Number.isInteger(p.batchSize) || p.batchSize < 1 || p.batchSize > 4096)
      )
        bad('batchSize must be an integer from 1 to 4096');
      const { runId, corpus, data, batchSize } = p;
      return withJob(connection, token, p.workDoneToken, `MLM: evaluating ${runId}`, (control) =>
        evaluateRun(app, { runId, corpus, data, batchSize }, control),
      );
    }),
  );
  connection.onRequest(
    ImportModelRequest.type,
    guarded((p, token) => {
      if (typeof p !== 'object' || p === null || typeof p.folder !== 'string' || !p.folder.trim())
        bad('mlm/importModel needs { folder } (a Hugging Face model folder)');
      if (p.runId !== undefined && (typeof p.runId !== 'string' || !RUN_ID.test(p.runId)))
        bad(
          `runId must be a folder name of letters, digits, '.', '_' and '-', got ${JSON.stringify(p.runId)}`,
        );
      const folder = p.folder.trim();
      return withJob(connection, token, p.workDoneToken, `MLM: importing ${folder}`, (control) =>
        importModel(app, { folder, runId: p.runId }, control),
      );
    }),
  );
  connection.onRequest(
    CoverageReportRequest.type,
    guarded((p, token) => {
      if (typeof p !== 'object' || p === null) bad('mlm/coverageReport needs { runId, text | files }');
      if ((p.text === undefined) === (p.files === undefined))
        bad('mlm/coverageReport needs exactly one of "text" (a string) or "files" (paths)');
      if (p.text !== undefined && (typeof p.text !== 'string' || p.text.length > MAX_COVERAGE_TEXT))
        bad(`text must be a string of at most ${MAX_COVERAGE_TEXT} characters: pass files for more`);
      if (p.files !== undefined && !isPathList(p.files)) bad('files must be a non-empty list of paths');
      const top = p.top ?? 20;
      if (!Number.isInteger(top) || top < 0 || top > 500) bad('top must be an integer from 0 to 500');
      const { runId, text, files } = p;
      return withJob(
        connection,
        token,
        p.workDoneToken,
        `MLM: coverage of ${runId}'s vocabulary`,
        (control) => coverageOf(app, { runId, text, files, top }, control),
      );
    }),
  );
}
