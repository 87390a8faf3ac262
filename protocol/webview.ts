/**
 * Messages between the extension host and the dashboard webview (postMessage). Both directions are
 * discriminated unions on `type`; every received message goes through the matching guard first, and anything
 * that fails it is ignored and logged (never acted on).
 */
import type { CorpusStats } from './corpus';
import { MAX_FILL_BEAM, type FillMaskRequest } from './inference';
import { isMetricRecord, type MetricRecord } from './shared/metrics';
import type { GpuTelemetry, ServerStatus } from './status';
import type { RunDetailsRequest, RunInfo, RunOutcome } from './training';

/** Extension host → webview. */
export type HostToWebviewMessage =
  /** The backend's latest mlm/serverStatus. */
  | { type: 'status'; status: ServerStatus }
  /** A live batch of metric rows of the active run (from mlm/metrics). */
  | { type: 'metrics'; runId: string; records: MetricRecord[] }
  /** Full metrics history of runs, sent after `ready` and on selectRuns (replaces what the charts show for them). */
  | { type: 'history'; runs: Array<{ runId: string; records: MetricRecord[] }> }
  /** The latest mlm/gpu sample. */
  | { type: 'gpu'; gpu: GpuTelemetry }
  /** Answer to a webview `fillMask`: the result, or the error text. */
  | { type: 'fillMaskResult'; requestId: number; result?: FillMaskRequest.Result; error?: string }
  /** The runs on disk (from mlm/runs), with the ones selected for comparison. */
  | { type: 'runs'; runs: RunInfo[]; selected: string[] }
  /** The last run that ended (from mlm/runFinished), with its realised masking rates when the trainer reported them. */
  | { type: 'runFinished'; finished: FinishedRunSummary }
  /** One run's config, checkpoints and outcome (from mlm/runDetails), for the details panel. */
  | { type: 'runDetails'; details: RunDetailsRequest.Result }
  /** The backend's corpus index (from mlm/corpusStats). */
  | { type: 'corpus'; corpus: CorpusStats }
  /** Compare Runs: the compared runs' details (mlm/runDetails), in the order asked. */
  | { type: 'comparison'; runs: RunDetailsRequest.Result[] };

/** What the dashboard shows about a run that ended. */
export interface FinishedRunSummary {
  runId: string;
  outcome: RunOutcome;
  step: number;
  message: string;
  bestEvalLoss?: number;
  /** Fractions: targets / maskable tokens, and of the targets the [MASK] / random / kept shares. */
  maskingRates?: { targetRate: number; maskRate: number; randomRate: number; keepRate: number };
}

/** Webview → extension host. */
export type WebviewToHostMessage =
  /** The webview has loaded and wants status, runs and history. */
  | { type: 'ready' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /**
   * Playground: fill the masks of `text` (only `targets` as candidates when given; several masks: `beam` joint
   * completions); answered by a `fillMaskResult` with the same requestId.
   */
  | { type: 'fillMask'; requestId: number; text: string; topK?: number; targets?: string[]; beam?: number }
  /** Runs to overlay in the charts. */
  | { type: 'selectRuns'; runIds: string[] }
  /** Show this run's details (config, checkpoints). */
  | { type: 'showRun'; runId: string }
  /** Save this run's metric history as CSV (the host asks the backend over mlm/runMetrics and shows a save dialog). */
  | { type: 'exportCsv'; runId: string }
  /** Compare these runs (2 or more): settings and final metrics side by side. */
  | { type: 'compareRuns'; runIds: string[] }
  /** A run action's button of the run details: the host runs its command (MLM: Evaluate Run… etc.) for the run. */
  | { type: 'runAction'; action: RunAction; runId: string };

/** The run actions the dashboard's run details offer, each the command of the same name. */
export const RUN_ACTIONS = ['evaluate', 'export', 'compare', 'coverage'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export type HostToWebviewType = HostToWebviewMessage['type'];
export type WebviewToHostType = WebviewToHostMessage['type'];

/** Upper bounds that keep a hostile or buggy sender from flooding the other side. */
export const WEBVIEW_LIMITS = {
  maxText: 10_000,
  maxRuns: 50,
  maxRecords: 100_000,
  maxIdLength: 200,
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= WEBVIEW_LIMITS.maxIdLength;

const isRecords = (v: unknown): v is MetricRecord[] =>
  Array.isArray(v) && v.length <= WEBVIEW_LIMITS.maxRecords && v.every(isMetricRecord);

/** Validates a message received by the extension host from the webview. */
export function isWebviewToHostMessage(v: unknown): v is WebviewToHostMessage {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'pause':
    case 'resume':
    case 'stop':
      return true;
    case 'fillMask':
      return (
        Number.isInteger(v.requestId) &&
        typeof v.text === 'string' &&
        v.text.length > 0 &&
        v.text.length <= WEBVIEW_LIMITS.maxText &&
        (v.topK === undefined ||
          (Number.isInteger(v.topK) && (v.topK as number) >= 1 && (v.topK as number) <= 50)) &&
        (v.beam === undefined ||
          (Number.isInteger(v.beam) && (v.beam as number) >= 0 && (v.beam as number) <= MAX_FILL_BEAM)) &&
        (v.targets === undefined ||
          (Array.isArray(v.targets) &&
            v.targets.length <= 1000 &&
            v.targets.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 100)))
      );
    case 'selectRuns':
      return Array.isArray(v.runIds) && v.runIds.length <= WEBVIEW_LIMITS.maxRuns && v.runIds.every(isId);
    case 'showRun':
    case 'exportCsv':
      return isId(v.runId);
    case 'runAction':
      return isId(v.runId) && (RUN_ACTIONS as readonly unknown[]).includes(v.action);
    case 'compareRuns':
      return (
        Array.isArray(v.runIds) &&
        v.runIds.length >= 2 &&
        v.runIds.length <= WEBVIEW_LIMITS.maxRuns &&
        v.runIds.every(isId)
      );
    default:
      return false;
  }
}

/** Validates a message received by the webview from the extension host (shapes the charts rely on). */
export function isHostToWebviewMessage(v: unknown): v is HostToWebviewMessage {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'status':
      return isRecord(v.status) && typeof v.status.state === 'string';
    case 'metrics':
      return isId(v.runId) && isRecords(v.records);
    case 'history':
      return (
        Array.isArray(v.runs) &&
        v.runs.length <= WEBVIEW_LIMITS.maxRuns &&
        v.runs.every((r) => isRecord(r) && isId(r.runId) && isRecords(r.records))
      );
    case 'gpu':
      return (
        isRecord(v.gpu) && isFiniteNumber(v.gpu.time) && (v.gpu.gpus === null || Array.isArray(v.gpu.gpus))
      );
    case 'fillMaskResult':
      return (
        Number.isInteger(v.requestId) &&
        (v.error === undefined || typeof v.error === 'string') &&
        (v.result === undefined || (isRecord(v.result) && Array.isArray(v.result.masks)))
      );
    case 'runFinished':
      return (
        isRecord(v.finished) &&
        isId(v.finished.runId) &&
        ['completed', 'stopped', 'failed'].includes(v.finished.outcome as string) &&
        isFiniteNumber(v.finished.step) &&
        typeof v.finished.message === 'string' &&
        (v.finished.maskingRates === undefined ||
          (isRecord(v.finished.maskingRates) &&
            ['targetRate', 'maskRate', 'randomRate', 'keepRate'].every((k) =>
              isFiniteNumber((v.finished as { maskingRates: Record<string, unknown> }).maskingRates[k]),
            )))
      );
    case 'runDetails':
      return isRunDetails(v.details);
    case 'comparison':
      return Array.isArray(v.runs) && v.runs.length <= WEBVIEW_LIMITS.maxRuns && v.runs.every(isRunDetails);
    case 'corpus':
      return (
        isRecord(v.corpus) &&
        isFiniteNumber(v.corpus.files) &&
        isFiniteNumber(v.corpus.chars) &&
        isRecord(v.corpus.skipped)
      );
    case 'runs':
      return (
        Array.isArray(v.runs) &&
        v.runs.every((r) => isRecord(r) && isId(r.runId)) &&
        Array.isArray(v.selected) &&
        v.selected.every(isId)
      );
    default:
      return false;
  }
}

/** The shape of an mlm/runDetails result the dashboard relies on. */
function isRunDetails(d: unknown): boolean {
  return (
    isRecord(d) &&
    isRecord(d.run) &&
    isId(d.run.runId) &&
    Array.isArray(d.checkpoints) &&
    d.checkpoints.every((c) => isRecord(c) && isFiniteNumber(c.step)) &&
    (d.config === null || isRecord(d.config))
  );
}
