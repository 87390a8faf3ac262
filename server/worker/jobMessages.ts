/**
 * Messages between the main thread and a job worker (dist/mlm-worker.js with role 'job'): one worker per job —
 * evaluate a run, import a Hugging Face folder, a coverage report — so that the backend's thread stays free and a
 * cancelled job ends with its thread. Plain structured-clone data only.
 */
import type { CoverageReportRequest, EvaluateRunRequest, ImportModelRequest } from '../../protocol/actions';

export type JobSpec =
  | {
      kind: 'evaluate';
      runDir: string;
      /** Workspace root: relative corpus paths and the held-out split's corpus resolve against it. */
      cwd: string;
      /** Pretraining run: a corpus (files, folders, globs); absent = the run's held-out split. */
      corpus?: string[];
      /** The held-out split's files, as the backend's corpus index lists them for the run's globs. */
      corpusFiles?: string[];
      /** Fine-tune run: the labelled file; absent = the run's task.eval file. */
      data?: string;
      batchSize?: number;
    }
  | { kind: 'import'; source: string; runDir: string }
  | { kind: 'coverage'; runDir: string; text?: string; files?: string[]; top: number };

/** What each kind of job answers. */
export interface JobResults {
  evaluate: Omit<EvaluateRunRequest.Result, 'runId' | 'elapsedMs'>;
  import: Omit<ImportModelRequest.Result, 'runId' | 'runDir'>;
  coverage: Omit<CoverageReportRequest.Result, 'runId'>;
}

export type JobResult = { [K in keyof JobResults]: { kind: K; result: JobResults[K] } }[keyof JobResults];

export type ToJob = { type: 'start'; job: JobSpec };

export type FromJob =
  | { type: 'progress'; message: string; fraction?: number }
  | { type: 'done'; result: JobResult }
  /** The job failed; message names the cause and what to do. */
  | { type: 'failed'; message: string };
