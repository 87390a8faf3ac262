/**
 * A run's folder: <root>/<run-id>/ with config.json (resolved run config), tokenizer.json + vocab.txt,
 * metrics.jsonl, run.json (status for run lists) and checkpoints/.
 */
import type { MemoryEstimate } from '../../../protocol/shared/memory';
import fs from 'node:fs';
import path from 'node:path';
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { runStatusOf, type RunStatus, type StopReason } from '../../../protocol/shared/runState';
import type { MetricRecord } from '../types';
import { appendFileGuarded } from '../atomicWrite';
import { writeFileAtomic } from './atomic';
import { TensorBoardLog } from './tensorboard';

export const RUN_CONFIG_FILE = 'config.json';
export const RUN_STATUS_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';

export interface RunStatusRecord {
  id: string;
  createdAt: string;
  updatedAt: string;
  status: RunStatus;
  /** Process that writes this run while status is "running". */
  pid: number;
  stoppedBy?: string;
  steps: number;
  epochs: number;
  bestEval?: MetricRecord;
  lastTrain?: MetricRecord;
  error?: string;
  backend?: string;
  /** Unigram-baseline accuracy on the held-out split (for comparison with the eval accuracy). */
  baselineAccuracy?: number;
  /** The memory estimate the run started with (train/memory.ts). */
  memory?: MemoryEstimate;
}

/** Default runs folder of a workspace. */
export const defaultRunsRoot = (cwd: string): string => path.join(cwd, '.mlm', 'runs');

const slugOf = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

/**
 * What a run started from model.init is named after: the init folder, or for a checkpoint folder
 * (<run>/checkpoints/step-N) the run it belongs to.
 */
function initName(init: string): string {
  const dir = path.resolve(init);
  const base = path.basename(dir);
  const parent = path.dirname(dir);
  return /^step-\d+$/.test(base) && path.basename(parent) === 'checkpoints'
    ? path.basename(path.dirname(parent))
    : base;
}

/**
 * A new, unique run id like 20260129-101500-tiny or 20260129-101500-bigru-my-name; a run continuing
 * model.init is named after the init folder: 20260129-101500-bert-base-uncased-ft; a fine-tune run (task) after its
 * init and task: 20260129-101500-my-run-classification.
 */
export function newRunId(config: ResolvedRunConfig, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const task = config.task;
  const init = task
    ? slugOf(initName(task.init))
    : config.model.init
      ? slugOf(initName(config.model.init))
      : '';
  const model = task
    ? `${init}-${task.kind ?? 'classification'}`
    : init
      ? `${init}-ft`
      : config.model.arch === 'bigru'
        ? 'bigru'
        : config.model.preset;
  return [stamp, model, slugOf(config.name ?? '')].filter(Boolean).join('-');
}

/** The folder a config's runs go to: output.dir (relative to the workspace) or <cwd>/.mlm/runs. */
export function runsRootFor(config: ResolvedRunConfig, cwd: string): string {
  return config.output.dir ? path.resolve(cwd, config.output.dir) : defaultRunsRoot(cwd);
}

/**
 * The one place a new run's folder is made (the server, the CLI and runTraining all come here): <runs root>/<id>,
 * where id is the caller's (the folder must not hold a run yet) or newRunId(config) made unique with -2, -3….
 */
export function newRunFolder(
  config: ResolvedRunConfig,
  cwd: string,
  id?: string,
): { runId: string; runDir: string } {
  const root = runsRootFor(config, cwd);
  if (!id) return createRunDir(root, newRunId(config));
  const runDir = path.join(root, id);
  if (fs.existsSync(path.join(runDir, RUN_CONFIG_FILE))) {
    throw new Error(`run ${id} already exists in ${root}: pick another run id or resume it`);
  }
  fs.mkdirSync(runDir, { recursive: true });
  return { runId: id, runDir };
}

/** Creates <root>/<id>[-2…]/ and returns its path. */
function createRunDir(root: string, id: string): { runId: string; runDir: string } {
  fs.mkdirSync(root, { recursive: true });
  for (let i = 1; ; i++) {
    const runId = i === 1 ? id : `${id}-${i}`;
    const runDir = path.join(root, runId);
    try {
      fs.mkdirSync(runDir);
      return { runId, runDir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export function writeRunConfig(runDir: string, config: ResolvedRunConfig): void {
  writeFileAtomic(path.join(runDir, RUN_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

export function readRunConfigFile(runDir: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(runDir, RUN_CONFIG_FILE), 'utf8'));
}

export function writeRunStatus(runDir: string, status: RunStatusRecord): void {
  writeFileAtomic(path.join(runDir, RUN_STATUS_FILE), `${JSON.stringify(status, null, 2)}\n`);
}

/** Writes a "running" run.json for a new run, or a resumed one (which keeps its createdAt), and returns it. */
export function startRunStatus(runDir: string, id: string, t0: number, resuming: boolean): RunStatusRecord {
  const previous = resuming ? readRunStatus(runDir) : undefined;
  const status: RunStatusRecord = {
    id,
    createdAt: previous?.createdAt ?? new Date(t0).toISOString(),
    updatedAt: new Date().toISOString(),
    status: 'running',
    pid: process.pid,
    steps: 0,
    epochs: 0,
  };
  writeRunStatus(runDir, status);
  return status;
}

/**
 * Closes run.json with how the run ended (failed / stopped / completed, or interrupted by a shutdown). A failed write
 * does not change the run's result: it comes back as a message for the log.
 */
export function finishRunStatus(
  runDir: string,
  status: RunStatusRecord,
  end: Pick<RunStatusRecord, 'error' | 'bestEval' | 'lastTrain'> & { stoppedBy: StopReason },
): string | undefined {
  status.status = runStatusOf(end.stoppedBy);
  status.updatedAt = new Date().toISOString();
  Object.assign(status, end);
  try {
    writeRunStatus(runDir, status);
    return undefined;
  } catch (err) {
    return `could not update ${runDir}/run.json: ${(err as Error).message}`;
  }
}

export function readRunStatus(runDir: string): RunStatusRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, RUN_STATUS_FILE), 'utf8')) as RunStatusRecord;
  } catch {
    return undefined;
  }
}

/**
 * Appends metric records to metrics.jsonl (one JSON object per line) through the guarded writer, and, with
 * `tensorboard`, to the run's TensorBoard event file (checkpoint/tensorboard.ts). Rows that could not be written (a
 * full disk: the error is rethrown) are kept, in order and per file, and written first by the next append or flush,
 * so none is lost and none is written twice.
 */
export class MetricsLog {
  private readonly file: string;
  private pending: MetricRecord[] = [];
  private pendingEvents: MetricRecord[] = [];
  private readonly events: TensorBoardLog | undefined;
  constructor(runDir: string, opts: { tensorboard?: { startMs: number } } = {}) {
    this.file = path.join(runDir, METRICS_FILE);
    if (opts.tensorboard) this.events = new TensorBoardLog(runDir, opts.tensorboard.startMs);
  }
  append(m: MetricRecord): void {
    this.pending.push(m);
    if (this.events) this.pendingEvents.push(m);
    this.flush();
  }
  /** Writes the rows kept back by a failed append; rethrows when the disk is still full. */
  flush(): void {
    if (this.pending.length) {
      appendFileGuarded(this.file, this.pending.map((r) => `${JSON.stringify(r)}\n`).join(''));
      this.pending = [];
    }
    if (this.events && this.pendingEvents.length) {
      this.events.append(this.pendingEvents);
      this.pendingEvents = [];
    }
  }
}

/** Reads metrics.jsonl, skipping a torn last line. */
export function readMetrics(runDir: string): MetricRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, METRICS_FILE), 'utf8');
  } catch {
    return [];
  }
  const out: MetricRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricRecord);
    } catch {
      // a line torn by a crash mid-write
    }
  }
  return out;
}
