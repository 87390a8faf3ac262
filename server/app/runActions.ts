/**
 * The run actions besides training — evaluate a run, import a Hugging Face folder as a run, a tokenizer coverage
 * report — each resolved against the workspace (run ids, request paths inside the served roots) and run in a job
 * worker of its own (server/worker/jobHost.ts): progress through `progress`, cancellation through `signal`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CoverageReportRequest, EvaluateRunRequest, ImportModelRequest } from '../../protocol/actions';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { readResolvedRunConfig } from '../ml/checkpoint';
import { defaultRunsRoot } from '../ml/checkpoint/runDir';
import { isTaskModelFolder } from '../ml/finetune';
import { JobCancelled, runJob, type JobOptions } from '../worker/jobHost';
import type { JobResults, JobSpec } from '../worker/jobMessages';
import type { AppState } from './appState';
import { runListing } from './runList';

export type JobControl = Pick<JobOptions, 'progress' | 'signal'>;

const bad = (msg: string): never => {
  throw new MlmError(MlmErrorCodes.InvalidParams, msg);
};

/** A job's failure as InvalidParams: its message names the cause (a missing file, a bad folder) and the fix. */
async function job<K extends keyof JobResults>(
  app: AppState,
  spec: JobSpec & { kind: K },
  control: JobControl,
): Promise<JobResults[K]> {
  try {
    return (await runJob(spec, { backend: app.workerBackend, ...control })).result as JobResults[K];
  } catch (err) {
    if (err instanceof JobCancelled) throw err;
    throw new MlmError(MlmErrorCodes.InvalidParams, (err as Error).message);
  }
}

export async function evaluateRun(
  app: AppState,
  p: Omit<EvaluateRunRequest.Params, 'workDoneToken'>,
  control: JobControl,
): Promise<EvaluateRunRequest.Result> {
  const root = app.runsWorkspace();
  const run = runListing(root, p.runId);
  if (!run.checkpoints.length) bad(`run ${p.runId} has no checkpoint to evaluate yet: train it first`);
  const task = isTaskModelFolder(run.dir);
  const corpus = p.corpus?.map((c, i) => app.requestPath(c, `corpus[${i}]`));
  const data = p.data === undefined ? undefined : app.requestPath(p.data, 'data');
  // The held-out split is rebuilt from the files the backend would give the run now (its corpus globs).
  let corpusFiles: string[] | undefined;
  if (!task && !corpus?.length) {
    const config = readResolvedRunConfig(run.dir);
    corpusFiles = await app.corpusFiles(config.corpus.include, config.corpus.exclude);
  }
  const t0 = Date.now();
  const r = await job(
    app,
    { kind: 'evaluate', runDir: run.dir, cwd: root, corpus, corpusFiles, data, batchSize: p.batchSize },
    control,
  );
  return { runId: p.runId, ...r, elapsedMs: Date.now() - t0 };
}

export async function importModel(
  app: AppState,
  p: Omit<ImportModelRequest.Params, 'workDoneToken'>,
  control: JobControl,
): Promise<ImportModelRequest.Result> {
  const root = app.runsWorkspace();
  const source = app.requestPath(p.folder, 'folder');
  if (!fs.existsSync(source) || !fs.statSync(source).isDirectory()) {
    bad(
      `${source} is not a folder: pick the Hugging Face model folder (config.json, the weights, vocab.txt or tokenizer.json)`,
    );
  }
  if (!fs.existsSync(path.join(source, 'config.json'))) {
    bad(
      `${source} has no config.json, so it is not a Hugging Face model folder: pick the folder that holds ` +
        'config.json, model.safetensors and vocab.txt or tokenizer.json (save_pretrained writes them)',
    );
  }
  // The default id: the folder's name, made a folder name, + "-imported".
  const runId =
    p.runId ??
    `${
      path
        .basename(source)
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'model'
    }-imported`;
  const runDir = path.join(defaultRunsRoot(root), runId);
  if (fs.existsSync(runDir)) bad(`a run ${runId} exists already (${runDir}): choose another run id`);
  try {
    const r = await job(app, { kind: 'import', source, runDir }, control);
    return { runId, runDir, ...r };
  } catch (err) {
    // Nothing half-written is left behind: a failed or cancelled import removes its run folder.
    fs.rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
}

export async function coverageOf(
  app: AppState,
  p: Omit<CoverageReportRequest.Params, 'workDoneToken'> & { top: number },
  control: JobControl,
): Promise<CoverageReportRequest.Result> {
  const root = app.runsWorkspace();
  const run = runListing(root, p.runId);
  const files = p.files?.map((f, i) => app.requestPath(f, `files[${i}]`));
  const r = await job(app, { kind: 'coverage', runDir: run.dir, text: p.text, files, top: p.top }, control);
  return { runId: p.runId, ...r };
}
