/**
 * What clients see of the runs under <workspace>/.mlm/runs: mlm/runs (RunInfo list, optionally with every metric
 * row), mlm/runMetrics (a page of one run's rows from any step) and mlm/runDetails (config, checkpoints, outcome).
 * Runs are named by id only, so no request names a path here.
 */
import path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { parseRunConfig } from '../../protocol/runConfig';
import { isMetricRecord, type MetricRecord } from '../../protocol/shared/metrics';
import {
  RUN_METRICS_PAGE,
  type RunDetailsRequest,
  type ResumePoint,
  type RunInfo,
  type RunMetricsRequest,
  type RunsRequest,
} from '../../protocol/training';
import {
  listCheckpoints,
  listRuns,
  readBest,
  readMetrics,
  readRunConfigFile,
  readRunStatus,
  type RunListing,
} from '../ml/checkpoint';
import { defaultRunsRoot } from '../ml/checkpoint/runDir';
import { FINETUNE_FILE, readFinetuneRecord } from '../ml/finetune';
import fs from 'node:fs';

/** A fine-tune run's task kind, from its finetune.json; undefined for a pretraining run (or an unreadable record). */
function taskOf(dir: string): string | undefined {
  if (!fs.existsSync(path.join(dir, FINETUNE_FILE))) return undefined;
  try {
    return readFinetuneRecord(dir).head.task;
  } catch {
    return undefined;
  }
}

function maxStepsOf(dir: string): number | undefined {
  try {
    const c = readRunConfigFile(dir) as { training?: { maxSteps?: number | null } };
    return c.training?.maxSteps ?? undefined;
  } catch {
    return undefined; // no config.json: an interrupted start
  }
}

/**
 * Where an unfinished pretraining run resumes (its newest complete checkpoint) and what the interruption cost (the
 * steps and training time logged after it); undefined for a finished, active or fine-tune run, or one without a
 * complete checkpoint.
 */
export function resumePointOf(
  r: RunListing,
  active: boolean,
  task: string | undefined,
): ResumePoint | undefined {
  const checkpointStep = r.checkpoints.at(-1);
  if (active || task || checkpointStep === undefined) return undefined;
  if (r.status !== 'interrupted' && r.status !== 'stopped' && r.status !== 'failed') return undefined;
  const train = readMetrics(r.dir).filter((m) => m.split === 'train');
  const last = train.at(-1);
  const lastStep = Math.max(checkpointStep, last?.step ?? 0);
  const atCheckpoint = train.findLast((m) => m.step <= checkpointStep);
  const secondsLost = last && atCheckpoint ? Math.max(0, (last.time - atCheckpoint.time) / 1000) : 0;
  return { checkpointStep, lastStep, stepsLost: lastStep - checkpointStep, secondsLost };
}

function runInfo(r: RunListing, activeRunId: string | undefined, rows: readonly MetricRecord[]): RunInfo {
  const active = r.id === activeRunId;
  const task = taskOf(r.dir);
  const resume = resumePointOf(r, active, task);
  return {
    runId: r.id,
    dir: r.dir,
    startedAt: r.createdAt,
    status: r.status,
    arch: r.arch,
    preset: r.preset,
    step: r.steps,
    maxSteps: maxStepsOf(r.dir),
    lastLoss: rows.findLast((m) => m.split === 'train')?.loss,
    bestEvalLoss: r.bestEval?.loss,
    bestEvalAccuracy: r.bestEval?.accuracy,
    checkpoints: r.checkpoints,
    active,
    task,
    ...(resume && { resume }),
  };
}

export function listRunInfos(
  root: string,
  activeRunId: string | undefined,
  p: RunsRequest.Params,
): RunsRequest.Result {
  const wanted = p.runIds ? new Set(p.runIds) : undefined;
  const listed = listRuns(defaultRunsRoot(root)).filter((r) => !wanted || wanted.has(r.id));
  const metrics: Record<string, MetricRecord[]> = {};
  const runs: RunInfo[] = listed.map((r) => {
    // metrics.jsonl is read only when asked for: it can be long.
    const rows = p.includeMetrics ? readMetrics(r.dir) : [];
    if (p.includeMetrics) metrics[r.id] = rows;
    return runInfo(r, activeRunId, rows);
  });
  return p.includeMetrics ? { runs, metrics } : { runs };
}

/** The folder of run `runId` under root's runs folder; InvalidParams when the id is malformed or unknown. */
/** A new run's id (mlm/importLaunch, mlm/importModel): a folder name. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function runListing(root: string, runId: unknown): RunListing {
  if (typeof runId !== 'string' || !/^[\w.-]{1,200}$/.test(runId) || runId === '.' || runId === '..') {
    throw new MlmError(
      MlmErrorCodes.InvalidParams,
      `runId must be a run id of mlm/runs, got ${JSON.stringify(runId)}`,
    );
  }
  const listed = listRuns(defaultRunsRoot(root)).find((r) => r.id === runId);
  if (!listed) {
    throw new MlmError(
      MlmErrorCodes.InvalidParams,
      `no run ${runId} in ${defaultRunsRoot(root)}: list the runs with mlm/runs (it may have been deleted)`,
    );
  }
  return listed;
}

const intIn = (v: unknown, lo: number, hi: number, name: string, def: number): number => {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new MlmError(
      MlmErrorCodes.InvalidParams,
      `${name} must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
};

export function runMetricsPage(root: string, p: RunMetricsRequest.Params): RunMetricsRequest.Result {
  const run = runListing(root, p?.runId);
  const fromStep = intIn(p.fromStep, 0, Number.MAX_SAFE_INTEGER, 'fromStep', 0);
  const offset = intIn(p.offset, 0, Number.MAX_SAFE_INTEGER, 'offset', 0);
  const limit = intIn(p.limit, 1, RUN_METRICS_PAGE.max, 'limit', RUN_METRICS_PAGE.default);
  // Rows a client's guard would reject (hand-edited, older formats) are left out, not sent.
  const rows = readMetrics(run.dir).filter((m) => isMetricRecord(m) && m.step >= fromStep);
  const records = rows.slice(offset, offset + limit);
  const next = offset + records.length;
  return { runId: run.id, records, total: rows.length, ...(next < rows.length && { nextOffset: next }) };
}

export function runDetails(
  root: string,
  activeRunId: string | undefined,
  p: RunDetailsRequest.Params,
): RunDetailsRequest.Result {
  const run = runListing(root, p?.runId);
  let config: RunDetailsRequest.Result['config'] = null;
  let configError: string | undefined;
  try {
    const parsed = parseRunConfig(readRunConfigFile(run.dir));
    if (parsed.ok) config = parsed.config;
    else configError = `config.json is invalid: ${parsed.errors.join('; ')}`;
  } catch (err) {
    configError = `cannot read ${path.join(run.dir, 'config.json')}: ${(err as Error).message}`;
  }
  const best = readBest(run.dir)?.step;
  const status = readRunStatus(run.dir);
  return {
    run: { ...runInfo(run, activeRunId, []), lastLoss: status?.lastTrain?.loss },
    config,
    ...(configError !== undefined && { configError }),
    checkpoints: listCheckpoints(run.dir).map((c) => ({ step: c.step, dir: c.dir, best: c.step === best })),
    ...(status?.error !== undefined && { error: status.error }),
    ...(status?.baselineAccuracy !== undefined && { baselineAccuracy: status.baselineAccuracy }),
  };
}
