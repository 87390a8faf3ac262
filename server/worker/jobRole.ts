/**
 * The job side of a job worker: runs one job (evaluate a run, import a Hugging Face folder, a coverage report) with
 * the same core as its CLI command (`mlm eval`, `mlm import`, `mlm tokenizer report`), posts its progress and its
 * result, and is terminated by the main thread when done or cancelled.
 */
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import type { LabelScores, TaskEvaluationResult } from '../../protocol/actions';
import { initBackend, type BackendChoice } from '../ml/backend';
import { loadRunForInference, readState } from '../ml/checkpoint';
import { CorpusReader } from '../ml/corpus';
import { corpusEvalText, evaluateText, formatCorpusEvaluation, heldOutEvalText } from '../ml/evalCorpus';
import {
  evaluateFile,
  formatTaskEvaluation,
  perLabelScores,
  importTaskFolder,
  isTaskModelFolder,
  loadTaskModel,
  type FileEvaluation,
} from '../ml/finetune';
import { formatImportReport, importToRunDir } from '../ml/hf';
import { coverageReport, loadTokenizer, WordPieceTokenizer } from '../ml/tokenizer';
import type { FromJob, JobResult, JobSpec, ToJob } from './jobMessages';
import type { WorkerData } from './messages';

type Progress = (message: string, fraction?: number) => void;

export function runJobRole(port: MessagePort, data: WorkerData): void {
  const post = (m: FromJob): void => port.postMessage(m);
  const progress: Progress = (message, fraction) => post({ type: 'progress', message, fraction });
  port.once('message', (m: ToJob) => {
    run(m.job, data.backend as BackendChoice, progress).then(
      (result) => post({ type: 'done', result }),
      (err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

function run(job: JobSpec, backend: BackendChoice, progress: Progress): Promise<JobResult> {
  switch (job.kind) {
    case 'evaluate':
      return isTaskModelFolder(job.runDir)
        ? evaluateTaskRun(job, backend, progress)
        : evaluateMlmRun(job, backend, progress);
    case 'import':
      return importFolder(job, progress);
    case 'coverage':
      return coverage(job, progress);
  }
}

type EvaluateJob = Extract<JobSpec, { kind: 'evaluate' }>;

const batchProgress =
  (progress: Progress) =>
  (done: number, total: number): void =>
    progress(`batch ${done} / ${total}`, total ? done / total : undefined);

async function evaluateMlmRun(
  job: EvaluateJob,
  backend: BackendChoice,
  progress: Progress,
): Promise<JobResult> {
  if (job.data !== undefined) {
    throw new Error(
      `${path.basename(job.runDir)} is a pretraining run: evaluate it on text (a corpus), not on labelled data`,
    );
  }
  progress('loading the checkpoint');
  await initBackend({ backend });
  const { model, tokenizer, config, step, checkpointDir } = await loadRunForInference(job.runDir);
  try {
    progress(job.corpus?.length ? 'reading the corpus' : 'rebuilding the held-out split');
    const text = job.corpus?.length
      ? await corpusEvalText(tokenizer, config, job.corpus, job.cwd)
      : await heldOutEvalText(tokenizer, config, job.cwd, job.corpusFiles);
    const e = await evaluateText(model, tokenizer, config, text, {
      batchSize: job.batchSize,
      onBatch: batchProgress(progress),
    });
    return {
      kind: 'evaluate',
      result: {
        checkpoint: checkpointDir,
        step,
        evaluation: { kind: 'mlm', ...e },
        report: [`checkpoint:             ${checkpointDir} (step ${step})`, ...formatCorpusEvaluation(e)],
      },
    };
  } finally {
    model.dispose();
  }
}

async function evaluateTaskRun(
  job: EvaluateJob,
  backend: BackendChoice,
  progress: Progress,
): Promise<JobResult> {
  if (job.corpus !== undefined) {
    throw new Error(
      `${path.basename(job.runDir)} is a fine-tuned model: evaluate it on labelled data (the formats of its training file), not a corpus`,
    );
  }
  progress('loading the task model');
  await initBackend({ backend });
  const loaded = await loadTaskModel(job.runDir);
  try {
    const given = job.data ?? loaded.record?.config?.task.eval ?? undefined;
    if (!given) {
      throw new Error(
        `${path.basename(job.runDir)} was fine-tuned without an evaluation file (task.eval): pick a labelled file to evaluate it on`,
      );
    }
    const file = path.resolve(job.cwd, given);
    progress(`reading ${path.basename(file)}`);
    const e = await evaluateFile(loaded, file, job.batchSize ?? 32, batchProgress(progress));
    const step = loaded.runDir ? readState(loaded.weightsDir).step : undefined;
    return {
      kind: 'evaluate',
      result: {
        checkpoint: loaded.weightsDir,
        ...(step !== undefined ? { step } : {}),
        evaluation: taskResult(e),
        report: [
          `model:     ${loaded.weightsDir} (${loaded.head.task})`,
          `data:      ${file}`,
          ...formatTaskEvaluation(e).split('\n'),
        ],
      },
    };
  } finally {
    loaded.model.dispose();
  }
}

function taskResult(e: FileEvaluation): TaskEvaluationResult {
  const d = e.detail;
  const perLabel: LabelScores[] = perLabelScores(e);
  return {
    kind: 'task',
    task: e.task,
    file: e.file,
    examples: e.examples,
    skipped: e.bad.length,
    skippedReasons: e.bad.slice(0, 5).map((b) => `${b.where}: ${b.reason}`),
    truncated: e.truncated,
    metrics: e.metrics,
    labels: e.labels,
    perLabel: perLabel.map(({ label, precision, recall, f1, support }) => ({
      label,
      precision,
      recall,
      f1,
      support,
    })),
    ...(d.task === 'classification' ? { confusion: d.metrics.confusion } : {}),
  };
}

async function importFolder(
  job: Extract<JobSpec, { kind: 'import' }>,
  progress: Progress,
): Promise<JobResult> {
  progress(`reading ${path.basename(job.source)}`);
  if (isTaskModelFolder(job.source)) {
    const t = await importTaskFolder(job.source, job.runDir);
    const labels = t.head.labels;
    return {
      kind: 'import',
      result: {
        kind: 'task',
        summary: `${t.head.task} model`,
        task: t.head.task,
        labels,
        report: [
          `imported a ${t.head.task} model (${labels.length} labels: ${labels.slice(0, 8).join(', ')}${labels.length > 8 ? ', …' : ''})`,
          `run folder: ${t.runDir}`,
        ],
      },
    };
  }
  await initBackend({ backend: 'cpu' });
  const r = await importToRunDir(job.source, job.runDir);
  return {
    kind: 'import',
    result: {
      kind: 'mlm',
      summary: r.report.architecture,
      vocabSize: r.vocabSize,
      report: [...formatImportReport(r.report, r.config).split('\n'), `run folder: ${r.runDir}`],
    },
  };
}

async function coverage(job: Extract<JobSpec, { kind: 'coverage' }>, progress: Progress): Promise<JobResult> {
  const tokenizer = await loadTokenizer(job.runDir);
  if (!(tokenizer instanceof WordPieceTokenizer)) {
    throw new Error(
      `the coverage report reads WordPiece vocabularies; ${path.basename(job.runDir)} has a ${tokenizer.kind} tokenizer`,
    );
  }
  const texts = job.text !== undefined ? [job.text] : readTexts(job.files ?? [], progress);
  const r = await coverageReport(tokenizer, texts, { top: job.top });
  if (!r.words) throw new Error('the text holds no words: open a file with text, or pick a word list');
  return {
    kind: 'coverage',
    result: { vocabSize: tokenizer.vocabSize, lowercase: tokenizer.lowercase, ...r },
  };
}

async function* readTexts(files: string[], progress: Progress): AsyncGenerator<string> {
  const reader = new CorpusReader({ roots: files });
  let n = 0;
  try {
    for await (const t of reader.texts()) {
      progress(`read ${++n} file(s)`);
      yield t;
    }
  } catch (err) {
    throw new Error(`cannot read ${files.join(', ')}: ${(err as Error).message}`);
  }
}
