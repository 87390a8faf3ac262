/**
 * Import of a local Hugging Face BERT folder: config.json, model.safetensors (or a sharded
 * model.safetensors.index.json), and the tokenizer (tokenizer.json, else vocab.txt with tokenizer_config.json's
 * do_lower_case). The result is everything needed to build our model: its config, the weights in our Hugging Face
 * names (see hfState.ts) and the tokenizer, plus a report of what was mapped, ignored or initialised.
 *
 * Over 300 lines: one import pipeline (config, weights, tokenizer) whose steps all feed one report.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadRunForInference, resolveCheckpoint } from '../checkpoint';
import { RUN_STATUS_FILE } from '../checkpoint/runDir';
import { createModel } from '../model';
import { loadTokenizer } from '../tokenizer';
import type { AnyTokenizer } from '../tokenizer';
import type { BertConfig, MlmModel, NamedTensor, Tokenizer } from '../types';
import { familyMapping, type FamilyName, type FamilyMapping } from './familyMap';
import { classifyName, expectedBertShapes, isHeadParameter, shapeText } from './hfState';
import { FLOAT_DTYPES, readSafetensorsFile, tensorAsFloat32, type SafetensorsFile } from './safetensors';

export class HfImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HfImportError';
  }
}

export interface HfImportReport {
  dir: string;
  /** The checkpoint's architecture (BertForMaskedLM, DistilBertForMaskedLM, RobertaForMaskedLM, …). */
  architecture: string;
  /** Its family; DistilBERT and RoBERTa/XLM-R weights are mapped onto our BERT (familyMap.ts). */
  family: FamilyName;
  /** Weight files read (one, or the shards). */
  weightFiles: string[];
  /** Parameters loaded from the checkpoint, and their total element count. */
  loaded: number;
  parameters: number;
  /** Stored dtypes → tensor count (F16/BF16 are converted to float32). */
  dtypes: Record<string, number>;
  /** Parameters absent from the checkpoint and freshly initialised (the MLM head of a BertModel). */
  initialised: string[];
  /** Stored tensors deliberately not used, with the reason. */
  ignored: Array<{ name: string; why: string }>;
  /** Warnings a user should see (untied decoder, vocab smaller than the embedding table, …). */
  warnings: string[];
  tokenizerFile: string;
  lowercase: boolean;
  vocabSize: number;
}

export interface HfCheckpoint {
  config: BertConfig;
  /** Weights by our (Hugging Face BertForMaskedLM) names, HF shapes; head parameters may be absent. */
  state: Map<string, NamedTensor>;
  tokenizer: AnyTokenizer;
  report: HfImportReport;
}

const CONVERT_BIN =
  `python -c "from transformers import AutoModelForMaskedLM as M; ` +
  `M.from_pretrained('DIR').save_pretrained('DIR', safe_serialization=True)"`;

async function readJson(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HfImportError(`${file} is not valid JSON (${(err as Error).message}); re-download it`);
  }
}

/** The safetensors file(s) of the folder, or a clear error saying what the folder has instead. */
async function weightFiles(dir: string): Promise<string[]> {
  const single = path.join(dir, 'model.safetensors');
  if (existsSync(single)) return [single];
  const index = path.join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const raw = (await readJson(index)) as { weight_map?: Record<string, string> };
    if (!raw.weight_map || typeof raw.weight_map !== 'object') {
      throw new HfImportError(`${index} has no "weight_map"; re-download the checkpoint`);
    }
    return [...new Set(Object.values(raw.weight_map))].sort().map((f) => path.join(dir, f));
  }
  const others = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'].filter((f) =>
    existsSync(path.join(dir, f)),
  );
  if (others.includes('pytorch_model.bin')) {
    throw new HfImportError(
      `${dir} has pytorch_model.bin but no model.safetensors; pickle files are not loaded (they can run code). ` +
        `Convert it once with: ${CONVERT_BIN.replace(/DIR/g, dir)}`,
    );
  }
  throw new HfImportError(
    `${dir} has no model.safetensors${others.length ? ` (only ${others.join(', ')})` : ''}; ` +
      `download the safetensors weights of the checkpoint or convert them with: ${CONVERT_BIN.replace(/DIR/g, dir)}`,
  );
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Reads and checks a Hugging Face BERT folder. Throws HfImportError (or SafetensorsError) naming the problem. */
export async function importHfCheckpoint(dir: string): Promise<HfCheckpoint> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new HfImportError(`${dir} is not a folder; give the folder of a Hugging Face BERT checkpoint`);
  }
  const configFile = path.join(dir, 'config.json');
  if (!existsSync(configFile)) {
    throw new HfImportError(`${dir} has no config.json; it is not a Hugging Face model folder`);
  }
  return importFrom(dir, dir, await weightFiles(dir));
}

/**
 * An MLM Studio run folder (checkpoints/, or run.json before the first checkpoint) or checkpoint folder
 * (state.json), not a Hugging Face folder.
 */
export function isMlmRunDir(dir: string): boolean {
  return ['checkpoints', RUN_STATUS_FILE, 'state.json'].some((f) => existsSync(path.join(dir, f)));
}

export interface InferenceModel {
  model: MlmModel;
  tokenizer: Tokenizer;
  /** The checkpoint's step (runs only). */
  step?: number;
  /** The folder the weights are read from. */
  checkpointDir: string;
  /** The run id, or the Hugging Face folder's name. */
  name: string;
}

/**
 * A fill-mask model from a run or checkpoint folder (its best, else newest checkpoint) or from a Hugging Face model
 * folder (a Hub snapshot included): the inference worker's and `mlm fill`'s one loader.
 */
export async function loadForInference(dir: string): Promise<InferenceModel> {
  if (isMlmRunDir(dir)) {
    const r = await loadRunForInference(dir);
    return { ...r, name: path.basename(r.runDir) };
  }
  if (!existsSync(path.join(dir, 'config.json'))) {
    throw new HfImportError(
      `${dir} is neither a run or checkpoint folder nor a Hugging Face model folder (no config.json)`,
    );
  }
  const ckpt = await importHfCheckpoint(dir);
  return {
    model: createModelFromHf(ckpt),
    tokenizer: ckpt.tokenizer,
    checkpointDir: dir,
    name: path.basename(dir),
  };
}

/**
 * What `model.init` names: a Hugging Face BERT folder, or an MLM Studio run (its best, else newest, checkpoint,
 * e.g. one made by `mlm import`) or checkpoint folder — a checkpoint folder holds the same config.json and
 * model.safetensors, with the tokenizer in its run folder.
 */
export async function loadInitCheckpoint(dir: string): Promise<HfCheckpoint> {
  if (!isMlmRunDir(dir)) return importHfCheckpoint(dir);
  let resolved: { runDir: string; checkpointDir: string };
  try {
    resolved = resolveCheckpoint(dir);
  } catch (err) {
    throw new HfImportError((err as Error).message);
  }
  const { runDir, checkpointDir } = resolved;
  if (!existsSync(path.join(checkpointDir, 'config.json'))) {
    throw new HfImportError(
      `${checkpointDir} has no config.json (made by an older version?); export the run with "mlm export" and use that folder`,
    );
  }
  return importFrom(checkpointDir, runDir, [path.join(checkpointDir, 'model.safetensors')]);
}

async function importFrom(dir: string, tokenizerDir: string, files: string[]): Promise<HfCheckpoint> {
  const configFile = path.join(dir, 'config.json');
  let mapping: FamilyMapping;
  try {
    mapping = familyMapping(await readJson(configFile), configFile);
  } catch (err) {
    throw new HfImportError((err as Error).message);
  }
  const { config, architecture } = mapping;
  const expected = expectedBertShapes(config);

  const state = new Map<string, NamedTensor>();
  const tied: Array<{ name: string; tiedTo: string; tensor: NamedTensor }> = [];
  const ignored: HfImportReport['ignored'] = [];
  const dtypes: Record<string, number> = {};
  const warnings: string[] = [];
  for (const file of files) {
    if (!existsSync(file))
      throw new HfImportError(`${file} (listed in the shard index) is missing; re-download it`);
    const st: SafetensorsFile = await readSafetensorsFile(file);
    for (const [raw, entry] of st.entries) {
      const fate = classifyName(mapping.rename(raw));
      if (fate.kind === 'unused') {
        ignored.push({ name: raw, why: fate.why });
        continue;
      }
      if (fate.kind === 'unknown') {
        ignored.push({ name: raw, why: 'not a BertForMaskedLM parameter' });
        continue;
      }
      if (!FLOAT_DTYPES.includes(entry.dtype)) {
        throw new HfImportError(
          `${file}: weight "${raw}" has dtype ${entry.dtype}; only ${FLOAT_DTYPES.join('/')} weights can be imported ` +
            `(quantized checkpoints are not supported) — save the model in float32 or float16`,
        );
      }
      dtypes[entry.dtype] = (dtypes[entry.dtype] ?? 0) + 1;
      const tensor = mapping.transform(fate.name, tensorAsFloat32(st, raw));
      if (fate.kind === 'tied') {
        tied.push({ name: fate.name, tiedTo: fate.tiedTo, tensor });
        continue;
      }
      const want = expected.get(fate.name);
      if (!want) {
        ignored.push({
          name: raw,
          why: `not a parameter of a ${config.numHiddenLayers}-layer BertForMaskedLM`,
        });
        continue;
      }
      if (state.has(fate.name)) throw new HfImportError(`${file}: weight "${fate.name}" is stored twice`);
      if (shapeText(tensor.shape) !== shapeText(want)) {
        throw new HfImportError(
          `${file}: weight "${raw}" has shape ${shapeText(tensor.shape)} but config.json ` +
            `(hidden_size ${config.hiddenSize}, intermediate_size ${config.intermediateSize}, vocab_size ${config.vocabSize}, ` +
            `max_position_embeddings ${config.maxPositionEmbeddings}) needs ${shapeText(want)}; ` +
            `the weights do not belong to this config.json`,
        );
      }
      state.set(fate.name, tensor);
    }
  }
  // A tied copy stands in for a missing original (cls.predictions.decoder.bias without cls.predictions.bias).
  for (const t of tied) {
    const own = state.get(t.tiedTo);
    const want = expected.get(t.tiedTo) as number[];
    if (!own) {
      if (shapeText(t.tensor.shape) !== shapeText(want)) {
        throw new HfImportError(
          `weight "${t.name}" has shape ${shapeText(t.tensor.shape)}, expected ${shapeText(want)}`,
        );
      }
      state.set(t.tiedTo, t.tensor);
    } else if (
      shapeText(own.shape) !== shapeText(t.tensor.shape) ||
      maxAbsDiff(own.data, t.tensor.data) > 1e-6
    ) {
      warnings.push(
        `${t.name} differs from ${t.tiedTo}; our model ties them, so ${t.tiedTo} is used and ${t.name} is ignored`,
      );
    }
  }
  for (const [name, t] of mapping.supply()) if (!state.has(name)) state.set(name, t);
  const initialised: string[] = [];
  for (const name of expected.keys()) {
    if (state.has(name)) continue;
    if (isHeadParameter(name)) {
      initialised.push(name);
      continue;
    }
    throw new HfImportError(
      `${files.join(', ')} lacks weight "${name}" that config.json (num_hidden_layers ${config.numHiddenLayers}) ` +
        `implies; the weights do not belong to this config.json`,
    );
  }

  const tokenizerJson = path.join(tokenizerDir, 'tokenizer.json');
  const vocabTxt = path.join(tokenizerDir, 'vocab.txt');
  const tokenizerFile = existsSync(tokenizerJson)
    ? tokenizerJson
    : existsSync(vocabTxt)
      ? vocabTxt
      : undefined;
  if (!tokenizerFile) {
    throw new HfImportError(
      `${tokenizerDir} has neither tokenizer.json nor vocab.txt; copy the checkpoint's tokenizer files into the folder`,
    );
  }
  let lowercase: boolean | undefined;
  const tokConfigFile = path.join(tokenizerDir, 'tokenizer_config.json');
  if (existsSync(tokConfigFile)) {
    const tc = (await readJson(tokConfigFile)) as { do_lower_case?: unknown };
    if (typeof tc.do_lower_case === 'boolean') lowercase = tc.do_lower_case;
  }
  let tokenizer: AnyTokenizer;
  try {
    tokenizer = await loadTokenizer(tokenizerFile, lowercase === undefined ? {} : { lowercase });
  } catch (err) {
    throw new HfImportError(
      `cannot load the checkpoint's tokenizer (${architecture}): ${(err as Error).message}`,
    );
  }
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new HfImportError(
      `${tokenizerFile} has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}; ` +
        `the tokenizer does not belong to this model`,
    );
  }
  if (tokenizer.vocabSize < config.vocabSize) {
    warnings.push(
      `the embedding table has ${config.vocabSize} rows but the tokenizer only ${tokenizer.vocabSize} tokens; ` +
        `the extra rows are kept but never used`,
    );
  }
  let parameters = 0;
  for (const t of state.values()) parameters += t.data.length;
  return {
    config,
    state,
    tokenizer,
    report: {
      dir,
      architecture,
      family: mapping.family,
      weightFiles: files,
      loaded: state.size,
      parameters,
      dtypes,
      initialised,
      ignored,
      warnings,
      tokenizerFile,
      lowercase: tokenizer.lowercase,
      vocabSize: tokenizer.vocabSize,
    },
  };
}

/**
 * Builds our model from an imported checkpoint. Parameters the checkpoint lacks (the MLM head of a BertModel) keep
 * their fresh initialisation from `seed`; the decoder is always tied to the word embeddings.
 */
export function createModelFromHf(
  ckpt: Pick<HfCheckpoint, 'config' | 'state' | 'report'>,
  seed = 0,
): MlmModel {
  const model = createModel(ckpt.config, { seed });
  try {
    model.loadHfState(ckpt.state, { allowMissing: ckpt.report.initialised });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** One paragraph for the CLI and logs. */
export function formatImportReport(r: HfImportReport, config: BertConfig): string {
  const lines = [
    `imported ${r.architecture} from ${r.dir}: ${r.loaded} weights, ${(r.parameters / 1e6).toFixed(2)}M parameters ` +
      `(${Object.entries(r.dtypes)
        .map(([d, n]) => `${n} ${d}`)
        .join(', ')})`,
    `  model: ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, ${config.numAttentionHeads} heads, ` +
      `intermediate ${config.intermediateSize}, ${config.maxPositionEmbeddings} positions, vocab ${config.vocabSize}`,
    `  tokenizer: ${path.basename(r.tokenizerFile)}, ${r.vocabSize} tokens, ${r.lowercase ? 'lowercased' : 'cased'}`,
  ];
  if (r.initialised.length) {
    lines.push(
      `  initialised (not in the checkpoint): ${r.initialised.join(', ')}; the decoder is tied to the embeddings`,
    );
  }
  if (r.ignored.length) {
    const why = new Map<string, string[]>();
    for (const i of r.ignored) why.set(i.why, [...(why.get(i.why) ?? []), i.name]);
    for (const [reason, names] of why) {
      lines.push(
        `  ignored ${names.length} (${reason}): ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`,
      );
    }
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}
