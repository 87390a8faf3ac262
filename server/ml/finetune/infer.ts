/**
 * Using a task model: load it (a fine-tune run, one of its checkpoints, or a Hugging Face task folder), predict
 * labels with every label's probability (token classification: entities with character spans), evaluate it on a
 * labelled file, export it as a Hugging Face folder and import such a folder back as a run.
 * The compute backend must be initialised first (initBackend) for load/predict/evaluate.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { emptyCheckpointState, readMetrics, readState, saveCheckpoint } from '../checkpoint';
import { writeFileAtomic } from '../checkpoint/atomic';
import type { Tokenizer } from '../types';
import type { AnyTokenizer } from '../tokenizer';
import { evaluateTask, runModel, sigmoid, softmax, argmax, type TaskEvaluation } from './evaluate';
import { encodeExamples, type Feature } from './features';
import { checkLabels } from './labels';
import { entitiesOf } from './metrics';
import type { BertTaskModel, TaskHead } from './model';
import { readLabelledData } from './reader';
import { readFinetuneRecord, type FinetuneRecord } from './taskFolder';
import {
  createTaskModel,
  FINETUNE_FILE,
  loadTaskModelFolder,
  taskHfConfig,
  taskModelCard,
  TaskModelError,
  writeTaskModelFolder,
} from './taskFolder';
import type { BadRow } from './types';

export interface LoadedTaskModel {
  model: BertTaskModel;
  tokenizer: AnyTokenizer;
  head: TaskHead;
  /** Tokens per input (the run's max length, else the model's positions). */
  maxLength: number;
  threshold: number;
  /** The run's record when the folder is (in) a fine-tune run. */
  record?: FinetuneRecord;
  weightsDir: string;
  runDir?: string;
}

export async function loadTaskModel(dir: string): Promise<LoadedTaskModel> {
  const folder = await loadTaskModelFolder(path.resolve(dir));
  const record =
    folder.runDir && existsSync(path.join(folder.runDir, FINETUNE_FILE))
      ? readFinetuneRecord(folder.runDir)
      : undefined;
  const model = createTaskModel(folder);
  const maxLength = Math.min(
    record?.config?.task.maxLength ?? folder.config.maxPositionEmbeddings,
    folder.config.maxPositionEmbeddings,
  );
  return {
    model,
    tokenizer: folder.tokenizer,
    head: folder.head,
    maxLength,
    threshold: record?.config?.task.threshold ?? 0.5,
    record,
    weightsDir: folder.weightsDir,
    runDir: folder.runDir,
  };
}

export interface EntityPrediction {
  type: string;
  /** [start, end) UTF-16 offsets into the input text. */
  start: number;
  end: number;
  text: string;
  /** Mean probability of the entity's word tags. */
  score: number;
}

export interface TextPrediction {
  text: string;
  textPair?: string;
  /** classification: the top label; multilabel: every label over the threshold; regression and token: none. */
  labels: string[];
  /** Every label's probability (softmax; multilabel: each sigmoid), highest first. */
  scores: Array<{ label: string; score: number }>;
  /** regression: the predicted values (one per target). */
  values?: number[];
  /** token classification: the entities found. */
  entities?: EntityPrediction[];
  /** The input was cut to maxLength tokens. */
  truncated: boolean;
}

/** Token classification input: per pre-tokenized word its first token, and the feature marking those tokens. */
function wordFeature(tokenizer: Tokenizer, text: string, maxLength: number) {
  const enc = tokenizer.encode(text, { addSpecialTokens: false });
  const room = maxLength - 2;
  const ids = enc.ids.slice(0, room);
  const firstOfWord = new Map<number, number>();
  const lastOfWord = new Map<number, number>();
  enc.wordIds.slice(0, room).forEach((w, t) => {
    if (w === null) return;
    if (!firstOfWord.has(w)) firstOfWord.set(w, t);
    lastOfWord.set(w, t);
  });
  const words = [...firstOfWord.keys()].sort((a, b) => a - b);
  const tokenLabels = new Int32Array(ids.length + 2).fill(-1);
  for (const w of words) tokenLabels[firstOfWord.get(w)! + 1] = 0;
  const feature: Feature = {
    ids: Int32Array.from([tokenizer.special.cls, ...ids, tokenizer.special.sep]),
    label: -1,
    tokenLabels,
    truncated: enc.ids.length > room,
  };
  const span = (w: number): [number, number] => [
    enc.offsets[firstOfWord.get(w)!][0],
    enc.offsets[lastOfWord.get(w)!][1],
  ];
  return { feature, words, span };
}

/** Predictions for texts (optionally pairs); batches of `batchSize`. Reads asynchronously (webgpu too). */
export async function predictTexts(
  loaded: Pick<LoadedTaskModel, 'model' | 'tokenizer' | 'maxLength' | 'threshold'>,
  inputs: ReadonlyArray<{ text: string; textPair?: string }>,
  batchSize = 32,
): Promise<TextPrediction[]> {
  const { model, tokenizer, maxLength, threshold } = loaded;
  const { task, labels } = model.head;
  const pad = tokenizer.special.pad;
  const ranked = (probs: number[]) =>
    probs.map((score, i) => ({ label: labels[i], score })).sort((a, b) => b.score - a.score);
  if (task === 'token') {
    const parts = inputs.map((i) => wordFeature(tokenizer, i.text, maxLength));
    const { outputs } = await runModel(
      model,
      parts.map((p) => p.feature),
      batchSize,
      pad,
    );
    return inputs.map((input, k) => {
      const { words, span } = parts[k];
      const probs = outputs[k].logits.map((row) => softmax(row));
      const tags = probs.map((p) => labels[argmax(p)]);
      const entities = entitiesOf(tags).map((e) => {
        const [start] = span(words[e.start]);
        const [, end] = span(words[e.end - 1]);
        let score = 0;
        for (let w = e.start; w < e.end; w++) score += Math.max(...probs[w]) / (e.end - e.start);
        return { type: e.type, start, end, text: input.text.slice(start, end), score };
      });
      return { text: input.text, labels: [], scores: [], entities, truncated: parts[k].feature.truncated };
    });
  }
  // Sequence tasks: encode with a placeholder target (no labels are known at prediction time).
  const spec = { task, labels, maxLength };
  const examples = inputs.map((i, k) => ({
    where: `input ${k + 1}`,
    text: i.text,
    textPair: i.textPair,
    labels: task === 'classification' ? [labels[0]] : [],
    values: task === 'regression' ? labels.map(() => 0) : undefined,
  }));
  const enc = encodeExamples(examples, tokenizer, spec);
  if (enc.bad.length) throw new Error(`cannot encode ${enc.bad[0].where}: ${enc.bad[0].reason}`);
  const { outputs } = await runModel(model, enc.features, batchSize, pad);
  return inputs.map((input, k) => {
    const row = outputs[k].logits[0];
    const base = {
      text: input.text,
      ...(input.textPair !== undefined ? { textPair: input.textPair } : {}),
      truncated: enc.features[k].truncated,
    };
    if (task === 'regression') return { ...base, labels: [], scores: [], values: Array.from(row) };
    if (task === 'multilabel') {
      const probs = Array.from(row, sigmoid);
      return { ...base, labels: labels.filter((_, i) => probs[i] >= threshold), scores: ranked(probs) };
    }
    const probs = softmax(row);
    return { ...base, labels: [labels[argmax(probs)]], scores: ranked(probs) };
  });
}

export interface FileEvaluation extends TaskEvaluation {
  file: string;
  task: TaskHead['task'];
  labels: string[];
  bad: BadRow[];
  truncated: number;
}

/** The task metrics of a loaded model on a labelled file (read with the run's column options). */
export async function evaluateFile(
  loaded: LoadedTaskModel,
  file: string,
  batchSize = 32,
  onBatch?: (done: number, total: number) => void,
): Promise<FileEvaluation> {
  const { model, tokenizer, head, maxLength, threshold, record } = loaded;
  const tc = record?.config?.task;
  const data = await readLabelledData(file, {
    task: head.task,
    textColumn: tc?.textColumn ?? undefined,
    textPairColumn: tc?.textPairColumn ?? undefined,
    labelColumn: tc?.labelColumn ?? undefined,
    labelSeparator: tc?.labelSeparator,
  });
  const checked =
    head.task === 'regression' ? { kept: data.examples, bad: [] } : checkLabels(data.examples, head.labels);
  const enc = encodeExamples(checked.kept, tokenizer, { task: head.task, labels: head.labels, maxLength });
  const bad = [...data.bad, ...checked.bad, ...enc.bad];
  if (!enc.features.length) {
    throw new TaskModelError(
      `${file} has no row the model can score (${bad.length} skipped${bad[0] ? ` — ${bad[0].where}: ${bad[0].reason}` : ''})`,
    );
  }
  const e = await evaluateTask(model, enc.features, {
    batchSize,
    padId: tokenizer.special.pad,
    threshold,
    onBatch,
  });
  return { ...e, file, task: head.task, labels: head.labels, bad, truncated: enc.truncated };
}

/** Exports a fine-tune run (best, else newest checkpoint; or the checkpoint or task folder given) as a HF folder. */
export async function exportTaskModel(
  dir: string,
  outDir: string,
  opts: { force?: boolean } = {},
): Promise<{ outDir: string; files: string[]; head: TaskHead; step?: number; weightsDir: string }> {
  const folder = await loadTaskModelFolder(path.resolve(dir));
  let metrics: Record<string, number> | undefined;
  let step: number | undefined;
  let base: string | undefined;
  if (folder.runDir) {
    step = readState(folder.weightsDir).step;
    const row = readMetrics(folder.runDir)
      .filter((m) => m.split === 'eval' && m.step === step)
      .at(-1);
    if (row) {
      metrics = {};
      for (const [k, v] of Object.entries(row))
        if (typeof v === 'number' && !['step', 'epoch', 'time', 'numTensors'].includes(k)) metrics[k] = v;
    }
    const rec = existsSync(path.join(folder.runDir, FINETUNE_FILE))
      ? readFinetuneRecord(folder.runDir)
      : undefined;
    base = rec?.start;
  }
  const card = taskModelCard({
    name: path.basename(path.resolve(outDir)),
    head: folder.head,
    config: folder.config,
    metrics,
    base,
  });
  const files = await writeTaskModelFolder(
    path.resolve(outDir),
    { ...folder, weights: folder.state, card },
    opts,
  );
  return { outDir: path.resolve(outDir), files, head: folder.head, step, weightsDir: folder.weightsDir };
}

/**
 * A Hugging Face task folder (BertForSequenceClassification / BertForTokenClassification) as a run folder with one
 * checkpoint (step 0): `mlm eval`, `mlm predict`, `mlm export` and `mlm finetune --init` then work on it.
 */
export async function importTaskFolder(
  hfDir: string,
  runDir: string,
): Promise<{ runDir: string; head: TaskHead }> {
  const folder = await loadTaskModelFolder(path.resolve(hfDir));
  if (existsSync(runDir) && (await fs.readdir(runDir)).length) {
    throw new TaskModelError(`${runDir} is not empty: --out must be a new or empty folder`);
  }
  await fs.mkdir(runDir, { recursive: true });
  await folder.tokenizer.save(runDir);
  saveCheckpoint(runDir, {
    state: emptyCheckpointState(),
    weights: folder.state,
    optimizer: new Map(),
    extraFiles: new Map([
      [
        'config.json',
        `${JSON.stringify(taskHfConfig(folder.config, folder.head, folder.tokenizer.special.pad), null, 2)}\n`,
      ],
    ]),
  });
  const record: FinetuneRecord = {
    format: 1,
    config: null,
    head: folder.head,
    start: `imported from ${path.resolve(hfDir)}`,
    data: { train: 0, eval: 0, skipped: 0, truncated: 0 },
    baseline: null,
  };
  writeFileAtomic(path.join(runDir, FINETUNE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return { runDir, head: folder.head };
}
