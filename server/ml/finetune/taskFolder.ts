/**
 * Task models on disk, in Hugging Face's layout:
 *   config.json — BertConfig fields plus architectures (BertForSequenceClassification / BertForTokenClassification),
 *     id2label, label2id, problem_type (sequence tasks), classifier_dropout;
 *   model.safetensors — bert.* (with bert.pooler.* for sequence tasks) and classifier.*.
 * A fine-tune run folder (FINETUNE_FILE beside tokenizer.json, checkpoints/step-N/ holding that config.json and
 * weights), one of its checkpoints, or an exported folder all load through loadTaskModelFolder.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readWeights, resolveCheckpoint } from '../checkpoint';
import { writeHfModelFolder } from '../hf/exportHf';
import { parseHfBertConfig } from '../hf/hfConfig';
import { readSafetensorsFile, tensorAsFloat32 } from '../hf/safetensors';
import { toHfConfig } from '../model';
import { loadTokenizer, type AnyTokenizer } from '../tokenizer';
import type { BertConfig, NamedTensor } from '../types';
import { architectureOf, BertTaskModel, type TaskHead } from './model';
import { PROBLEM_TYPES, TASK_KINDS, type TaskKind } from './types';
import type { FinetuneConfig } from './config';
import type { BaselineRecord } from './setup';

/** The fine-tune run's own record (task, labels, options, data) — its presence marks a fine-tune run. */
export const FINETUNE_FILE = 'finetune.json';

/** What finetune.json holds: the resolved config and what the data gave (label set, sizes, the start's report). */
export interface FinetuneRecord {
  format: 1;
  /** The resolved config (null for a model brought in by `mlm import`: it has no training to resume). */
  config: FinetuneConfig | null;
  head: TaskHead;
  /** Where the weights came from ("from scratch" keeps init's shape and tokenizer only). */
  start: string;
  data: { train: number; eval: number; skipped: number; truncated: number };
  baseline: BaselineRecord | null;
}

export function readFinetuneRecord(runDir: string): FinetuneRecord {
  const file = path.join(runDir, FINETUNE_FILE);
  if (!existsSync(file)) throw new Error(`${runDir} is not a fine-tune run (no ${FINETUNE_FILE})`);
  return JSON.parse(readFileSync(file, 'utf8')) as FinetuneRecord;
}

export const TASK_ARCHITECTURES = ['BertForSequenceClassification', 'BertForTokenClassification'] as const;

export class TaskModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskModelError';
  }
}

/** config.json of a task model (what transformers' AutoConfig reads). */
export function taskHfConfig(
  config: BertConfig,
  head: TaskHead,
  padTokenId: number,
): Record<string, unknown> {
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  head.labels.forEach((l, i) => {
    id2label[String(i)] = l;
    label2id[l] = i;
  });
  return {
    ...toHfConfig(config),
    architectures: [architectureOf(head.task)],
    id2label,
    label2id,
    ...(head.task === 'token' ? {} : { problem_type: PROBLEM_TYPES[head.task] }),
    classifier_dropout: head.classifierDropout,
    pad_token_id: padTokenId,
    use_cache: true,
    // Not a transformers field: tells our import which task a token/sequence model is for.
    mlm_studio_task: head.task,
  };
}

/** The task head a config.json describes, or undefined when it is not a task model's config. */
export function parseTaskHfConfig(
  raw: unknown,
  source: string,
): { config: BertConfig; head: TaskHead } | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const c = raw as Record<string, unknown>;
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : [];
  const arch = archs.find((a) => (TASK_ARCHITECTURES as readonly string[]).includes(a));
  if (!arch) return undefined;
  // The encoder's fields are validated as for any BERT (same checks, same messages).
  const { config } = parseHfBertConfig({ ...c, architectures: ['BertModel'] }, source);
  const id2label = (c.id2label ?? {}) as Record<string, unknown>;
  const n = Object.keys(id2label).length || (typeof c.num_labels === 'number' ? c.num_labels : 2);
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = id2label[String(i)];
    labels.push(typeof l === 'string' ? l : `LABEL_${i}`);
  }
  let task: TaskKind;
  if (arch === 'BertForTokenClassification') task = 'token';
  else if (c.problem_type === 'multi_label_classification') task = 'multilabel';
  else if (c.problem_type === 'regression' || (c.problem_type === undefined && n === 1)) task = 'regression';
  else task = 'classification';
  if (
    typeof c.mlm_studio_task === 'string' &&
    (TASK_KINDS as readonly string[]).includes(c.mlm_studio_task)
  ) {
    task = c.mlm_studio_task as TaskKind;
  }
  const cd = c.classifier_dropout;
  return { config, head: { task, labels, classifierDropout: typeof cd === 'number' ? cd : null } };
}

/** Our name for a stored tensor name (BertModel-style names get "bert.", TF-style gamma/beta become weight/bias). */
export function normaliseName(raw: string): string {
  let name = raw;
  if (/^(embeddings|encoder|pooler)\./.test(name)) name = `bert.${name}`;
  return name
    .replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight')
    .replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
}

/** Every float tensor of safetensors files, by normalised name (integer buffers such as position_ids skipped). */
export async function readNamedTensors(files: readonly string[]): Promise<Map<string, NamedTensor>> {
  const out = new Map<string, NamedTensor>();
  for (const file of files) {
    const st = await readSafetensorsFile(file);
    for (const [raw, entry] of st.entries) {
      if (entry.dtype.startsWith('I') || entry.dtype.startsWith('U') || entry.dtype === 'BOOL') continue;
      out.set(normaliseName(raw), tensorAsFloat32(st, raw));
    }
  }
  return out;
}

export interface TaskModelFolder {
  config: BertConfig;
  head: TaskHead;
  state: Map<string, NamedTensor>;
  tokenizer: AnyTokenizer;
  /** The folder the weights were read from. */
  weightsDir: string;
  /** The fine-tune run folder, when it is one (or a checkpoint of one). */
  runDir?: string;
}

/** True when `dir` is a fine-tune run, one of its checkpoints, or a task model folder (config.json says so). */
export function isTaskModelFolder(dir: string): boolean {
  if (existsSync(path.join(dir, FINETUNE_FILE))) return true;
  const runOfCheckpoint = path.dirname(path.dirname(dir));
  if (existsSync(path.join(dir, 'state.json')) && existsSync(path.join(runOfCheckpoint, FINETUNE_FILE)))
    return true;
  try {
    const raw = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as unknown;
    return parseTaskHfConfig(raw, dir) !== undefined;
  } catch {
    return false;
  }
}

/** Loads a task model's config, head, weights and tokenizer from any of the folders isTaskModelFolder accepts. */
export async function loadTaskModelFolder(dir: string): Promise<TaskModelFolder> {
  let weightsDir = dir;
  let tokenizerDir = dir;
  let runDir: string | undefined;
  const isRun = existsSync(path.join(dir, FINETUNE_FILE)) || existsSync(path.join(dir, 'state.json'));
  if (isRun) {
    try {
      const r = resolveCheckpoint(dir);
      weightsDir = r.checkpointDir;
      tokenizerDir = r.runDir;
      runDir = r.runDir;
    } catch (err) {
      throw new TaskModelError((err as Error).message);
    }
  }
  const configFile = path.join(weightsDir, 'config.json');
  if (!existsSync(configFile))
    throw new TaskModelError(`${weightsDir} has no config.json: it is not a task model folder`);
  const parsed = parseTaskHfConfig(JSON.parse(await fs.readFile(configFile, 'utf8')), configFile);
  if (!parsed) {
    throw new TaskModelError(
      `${configFile} does not describe a task model (architectures ${TASK_ARCHITECTURES.join(' or ')}); fine-tune one with "mlm finetune"`,
    );
  }
  const weightsFile = path.join(weightsDir, 'model.safetensors');
  if (!existsSync(weightsFile)) throw new TaskModelError(`${weightsDir} has no model.safetensors`);
  const state = runDir ? readWeights(weightsDir) : await readNamedTensors([weightsFile]);
  let lowercase: boolean | undefined;
  const tokConfig = path.join(tokenizerDir, 'tokenizer_config.json');
  if (existsSync(tokConfig)) {
    const tc = JSON.parse(await fs.readFile(tokConfig, 'utf8')) as { do_lower_case?: unknown };
    if (typeof tc.do_lower_case === 'boolean') lowercase = tc.do_lower_case;
  }
  const tokFile = ['tokenizer.json', 'vocab.txt']
    .map((f) => path.join(tokenizerDir, f))
    .find((f) => existsSync(f));
  if (!tokFile) throw new TaskModelError(`${tokenizerDir} has neither tokenizer.json nor vocab.txt`);
  const tokenizer = await loadTokenizer(tokFile, lowercase === undefined ? {} : { lowercase });
  return { ...parsed, state, tokenizer, weightsDir, runDir };
}

/** Builds the task model of a loaded folder (every weight must be there). */
export function createTaskModel(
  folder: Pick<TaskModelFolder, 'config' | 'head' | 'state'>,
  seed = 0,
): BertTaskModel {
  const model = new BertTaskModel(folder.config, folder.head, seed);
  try {
    model.loadHfState(folder.state);
  } catch (err) {
    model.dispose();
    throw new TaskModelError((err as Error).message);
  }
  return model;
}

/** A short model card for an exported task model. */
export function taskModelCard(o: {
  name: string;
  head: TaskHead;
  config: BertConfig;
  metrics?: Record<string, number>;
  base?: string;
}): string {
  const arch = architectureOf(o.head.task);
  const auto =
    o.head.task === 'token' ? 'AutoModelForTokenClassification' : 'AutoModelForSequenceClassification';
  const lines = [
    `# ${o.name}`,
    '',
    `A ${arch} (${o.head.task}) fine-tuned with MLM Studio${o.base ? ` from ${o.base}` : ''}: ` +
      `${o.config.numHiddenLayers} layers, hidden ${o.config.hiddenSize}, ${o.head.labels.length} label${o.head.labels.length === 1 ? '' : 's'} ` +
      `(${o.head.labels.slice(0, 10).join(', ')}${o.head.labels.length > 10 ? ', …' : ''}).`,
    '',
  ];
  if (o.metrics && Object.keys(o.metrics).length) {
    lines.push('## Held-out metrics', '', '| metric | value |', '|---|---|');
    for (const [k, v] of Object.entries(o.metrics)) lines.push(`| ${k} | ${v.toFixed(4)} |`);
    lines.push('');
  }
  lines.push(
    '## Usage',
    '',
    '```python',
    `from transformers import AutoTokenizer, ${auto}`,
    'tok = AutoTokenizer.from_pretrained("PATH")',
    `model = ${auto}.from_pretrained("PATH")`,
    '```',
    '',
  );
  return lines.join('\n');
}

/** Writes a task model as a Hugging Face folder. */
export async function writeTaskModelFolder(
  outDir: string,
  m: {
    config: BertConfig;
    head: TaskHead;
    weights: ReadonlyMap<string, NamedTensor>;
    tokenizer: AnyTokenizer;
    card: string;
  },
  opts: { force?: boolean } = {},
): Promise<string[]> {
  return writeHfModelFolder(
    outDir,
    {
      hfConfig: taskHfConfig(m.config, m.head, m.tokenizer.special.pad),
      weights: m.weights,
      tokenizer: m.tokenizer,
      card: m.card,
      modelMaxLength: m.config.maxPositionEmbeddings,
    },
    opts,
  );
}
