/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Training runs: start / stop / pause / resume, the run list, and the live metrics and end-of-run notifications.
 * One run at a time: a second `mlm/train` while a run is active is REJECTED with MlmErrorCodes.RunInProgress
 * (never queued), so what runs is always what the user last asked for.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { MlmErrorCode } from './errors';
import type { ResolvedRunConfig } from './runConfig';
import type { MetricRecord } from './shared/metrics';
import type { RunOutcome, RunStatus } from './shared/runState';

/**
 * Client → backend, when the user starts a run. Give exactly one of `config` (a run-config object) or `configPath`;
 * or `resumeFrom` alone to continue a run with its own saved config (MLM: Resume Run…).
 * A config with a `task` section is a fine-tune run: the same run machinery (one at a time, mlm/metrics with the task
 * metrics, mlm/runFinished, stop/pause/resume), its checkpoints are task models for mlm/predict.
 */
export namespace TrainRequest {
  export const method = 'mlm/train' as const;
  export interface Params {
    /** A run config object (the `*.mlm.json` format); validated with parseRunConfig before anything starts. */
    config?: unknown;
    /** Path of a `*.mlm.json` file (absolute, or relative to the workspace root). */
    configPath?: string;
    /**
     * Resume from this run directory (its newest complete checkpoint); a fine-tune run continues in that folder. Alone
     * (no config, no configPath) the run continues with the config saved in its folder.
     */
    resumeFrom?: string;
  }
  export interface Result {
    runId: string;
    /** Absolute run directory, e.g. <workspace>/.mlm/runs/<runId>. */
    runDir: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client → backend: stop the active run (the trainer saves a final checkpoint, then mlm/runFinished follows). */
export namespace StopRequest {
  export const method = 'mlm/stop' as const;
  export interface Params {
    /** Only stop if this run is the active one; omit to stop whatever runs. */
    runId?: string;
  }
  export interface Result {
    runId: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client → backend: pause the active run after the current step. */
export namespace PauseRequest {
  export const method = 'mlm/pause' as const;
  export type Params = StopRequest.Params;
  export type Result = StopRequest.Result;
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client → backend: resume a paused run. */
export namespace ResumeRequest {
  export const method = 'mlm/resume' as const;
  export type Params = StopRequest.Params;
  export type Result = StopRequest.Result;
  export const type = new RequestType<Params, Result, void>(method);
}

/** A run on disk, with a summary of its metrics. Fields are absent when the run never got that far. */
export interface RunInfo {
  runId: string;
  dir: string;
  /** ISO time the run started, when known. */
  startedAt?: string;
  /** The run folder's status; 'unknown' when run.json is missing or unreadable. */
  status?: RunStatus | 'unknown';
  arch?: string;
  preset?: string;
  /** Last logged step. */
  step?: number;
  maxSteps?: number;
  /** Last training loss (only with includeMetrics). */
  lastLoss?: number;
  bestEvalLoss?: number;
  bestEvalAccuracy?: number;
  /** Steps of the complete checkpoints on disk, ascending. */
  checkpoints: number[];
  /** True for the run currently training in this backend. */
  active: boolean;
  /** A fine-tune run: its task (classification, multilabel, regression, token); absent for pretraining. */
  task?: string;
  /** Set for an unfinished pretraining run (interrupted, stopped or failed) that has a complete checkpoint. */
  resume?: ResumePoint;
}

/** Where MLM: Resume Run… continues an unfinished run, and what the interruption cost. */
export interface ResumePoint {
  /** The newest complete checkpoint: the step training continues from. */
  checkpointStep: number;
  /** The last step the interrupted process logged (≥ checkpointStep). */
  lastStep: number;
  /** Steps done after the checkpoint that a resume trains again. */
  stepsLost: number;
  /** Training time (s) between the checkpoint and the last logged step. */
  secondsLost: number;
}

/** Client → backend (dashboard, Load Checkpoint picker): the runs under <workspace>/.mlm/runs, newest first. */
export namespace RunsRequest {
  export const method = 'mlm/runs' as const;
  export interface Params {
    /** Also return every run's metrics history (for the dashboard's overlay). Default false. */
    includeMetrics?: boolean;
    /** Restrict to these run ids. */
    runIds?: string[];
  }
  export interface Result {
    runs: RunInfo[];
    /** runId → its metrics.jsonl rows (only with includeMetrics). */
    metrics?: Record<string, MetricRecord[]>;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Most rows one mlm/runMetrics page returns (and its default `limit`). */
export const RUN_METRICS_PAGE = { default: 5000, max: 20_000 } as const;

/**
 * Client → backend (dashboard history, any client of a remote backend): a page of a run's metric rows (its
 * metrics.jsonl, in file order), from any step. Page on with `offset: nextOffset` until `nextOffset` is absent.
 */
export namespace RunMetricsRequest {
  export const method = 'mlm/runMetrics' as const;
  export interface Params {
    /** A run id of mlm/runs. */
    runId: string;
    /** Only rows with step ≥ fromStep (default 0). */
    fromStep?: number;
    /** Rows to skip of those (default 0). */
    offset?: number;
    /** Rows to return, 1..RUN_METRICS_PAGE.max (default RUN_METRICS_PAGE.default). */
    limit?: number;
  }
  export interface Result {
    runId: string;
    records: MetricRecord[];
    /** Rows with step ≥ fromStep in the run now. */
    total: number;
    /** The offset of the next page, absent on the last one. */
    nextOffset?: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** A complete checkpoint of a run, as the backend sees it (dir is a path on the backend's machine). */
export interface CheckpointEntry {
  step: number;
  dir: string;
  /** The checkpoint of the best eval loss (checkpoint.keepBest). */
  best: boolean;
}

/**
 * Client → backend (dashboard details, Load Checkpoint picker): one run's saved config, its checkpoints and how it
 * ended. Everything a client shows about a run comes from here and mlm/runs, mlm/runMetrics, mlm/corpusStats: the
 * extension reads nothing under the runs folder itself (the backend may be on another machine).
 */
export namespace RunDetailsRequest {
  export const method = 'mlm/runDetails' as const;
  export interface Params {
    runId: string;
  }
  export interface Result {
    run: RunInfo;
    /** The run's config.json (every default filled), or null when it is missing or invalid (see configError). */
    config: ResolvedRunConfig | null;
    configError?: string;
    /** Complete checkpoints, oldest first. */
    checkpoints: CheckpointEntry[];
    /** Why the run failed, when it did. */
    error?: string;
    /** Held-out accuracy of always predicting the most frequent token, for comparison with the eval accuracy. */
    baselineAccuracy?: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Backend → client, at most every 250 ms during a run: the metric rows logged since the last batch. */
export namespace MetricsNotification {
  export const method = 'mlm/metrics' as const;
  export interface Params {
    runId: string;
    records: MetricRecord[];
  }
  export const type = new NotificationType<Params>(method);
}

export type { RunOutcome } from './shared/runState';

/** Backend → client, once per run, after the trainer has ended (completed, stopped by the user, or failed). */
export namespace RunFinishedNotification {
  export const method = 'mlm/runFinished' as const;
  export interface Params {
    runId: string;
    runDir: string;
    outcome: RunOutcome;
    /** Final step reached. */
    step: number;
    /** Why it ended: "max steps reached", "stopped by user", or the error and what to do. */
    message: string;
    /** A failed run's MlmErrorCodes code when known: OutOfMemory or ComputeAborted (the compute backend's). */
    errorCode?: MlmErrorCode;
    bestEvalLoss?: number;
    bestEvalAccuracy?: number;
    /** Newest complete checkpoint directory, if any was written. */
    lastCheckpoint?: string;
    /** The checkpoint kept as best (on the eval loss, or a fine-tune run's chosen metric). */
    bestCheckpoint?: string;
    /** A fine-tune run: its task (classification, multilabel, regression, token); absent for pretraining. */
    task?: string;
    /** A fine-tune run: the held-out metrics of its best checkpoint (loss, accuracy, macroF1, …). */
    bestMetrics?: Record<string, number>;
    /** The trainer's own summary object (server/ml RunSummary), passed through for logs and tools. */
    summary?: unknown;
  }
  export const type = new NotificationType<Params>(method);
}
