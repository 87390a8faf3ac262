/**
 * `mlm launch import`: the way back from a torchrun launch. train.py's output (metrics.jsonl and checkpoint folders
 * in our checkpoint layout, which are also Hugging Face folders) becomes a run folder: config.json (the bundle's run
 * config), the tokenizer, metrics.jsonl, the checkpoints (each checked: complete, state.json, weights of the model's
 * shapes), best.json and a completed run.json. The dashboard, fill-mask, `mlm finetune --init`, `mlm export` and
 * `mlm train --resume` then treat it as any run.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { LaunchImportSummary } from '../../../protocol/shared/launch';
import { isMetricRecord, type MetricRecord } from '../../../protocol/shared/metrics';
import {
  CHECKPOINT_MODEL_CONFIG,
  COMPLETE_MARKER,
  checkpointModelConfig,
  listCheckpoints,
  METRICS_FILE,
  publishDir,
  readBest,
  readState,
  readWeights,
  writeBest,
  writeFileAtomic,
  writeRunConfig,
  writeRunStatus,
} from '../checkpoint';
import { expectedBertShapes, shapeText } from '../hf/hfState';
import { loadTokenizer } from '../tokenizer';
import { BUNDLE_FILE, BUNDLE_FORMAT, BUNDLE_OUTPUT, type BundleRecipe } from './bundle';

export interface ImportBundleOptions {
  bundleDir: string;
  /** The new run folder (must not exist, or be empty). */
  runDir: string;
  /** train.py's --out when it was not the bundle's output/ folder. */
  outputDir?: string;
}

export type ImportBundleResult = LaunchImportSummary;

/** train.py's done.json (written when it finished). */
interface DoneRecord {
  stoppedBy?: string;
  steps?: number;
  processes?: number;
  device?: string;
}

function readRecipe(bundleDir: string): BundleRecipe {
  const file = path.join(bundleDir, BUNDLE_FILE);
  let recipe: BundleRecipe;
  try {
    recipe = JSON.parse(readFileSync(file, 'utf8')) as BundleRecipe;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'ENOENT'
        ? `${bundleDir} is not a launch bundle (no ${BUNDLE_FILE}): pass the folder mlm launch wrote`
        : `cannot read ${file}: ${e.message}`,
    );
  }
  if (recipe.format !== BUNDLE_FORMAT) {
    throw new Error(
      `${file} has format ${recipe.format}; this mlm reads format ${BUNDLE_FORMAT}: update mlm`,
    );
  }
  return recipe;
}

/** The metric rows train.py wrote (a torn or foreign line is skipped and counted). */
function readOutputMetrics(outputDir: string): { rows: MetricRecord[]; skipped: number } {
  let text = '';
  try {
    text = readFileSync(path.join(outputDir, METRICS_FILE), 'utf8');
  } catch {
    return { rows: [], skipped: 0 };
  }
  const rows: MetricRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row: unknown = JSON.parse(line);
      if (isMetricRecord(row)) rows.push(row);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}

export async function importLaunchOutput(opts: ImportBundleOptions): Promise<ImportBundleResult> {
  const bundleDir = path.resolve(opts.bundleDir);
  const recipe = readRecipe(bundleDir);
  const outputDir = path.resolve(opts.outputDir ?? path.join(bundleDir, BUNDLE_OUTPUT));
  const runDir = path.resolve(opts.runDir);
  const found = listCheckpoints(outputDir);
  if (!found.length) {
    throw new Error(
      `${outputDir} has no complete checkpoint (checkpoints/step-N with COMPLETE): run the bundle first ` +
        `(./launch.sh in ${bundleDir}), or pass --from with train.py's --out folder`,
    );
  }
  if (existsSync(runDir) && (await fs.readdir(runDir)).length) {
    throw new Error(`${runDir} already exists and is not empty: choose a new --out folder`);
  }
  const tokenizer = await loadTokenizer(path.join(bundleDir, 'model'));

  // Every checkpoint is checked before anything is written: state.json, and weights of the model's shapes.
  const checked = found.map((ck) => {
    const state = readState(ck.dir);
    if (state.step !== ck.step) {
      throw new Error(
        `${ck.dir}/state.json says step ${state.step}, not ${ck.step}: the checkpoint is damaged`,
      );
    }
    const model = checkpointModelConfig(ck.dir, recipe.runConfig, tokenizer.vocabSize);
    if (model.arch !== 'bert') throw new Error(`${ck.dir}/config.json is not a BERT model`);
    const weights = readWeights(ck.dir);
    for (const [name, shape] of expectedBertShapes(model)) {
      const w = weights.get(name);
      if (!w) throw new Error(`${ck.dir}/model.safetensors lacks ${name}: the checkpoint is incomplete`);
      if (shapeText(w.shape) !== shapeText(shape)) {
        throw new Error(
          `${ck.dir}: ${name} has shape ${shapeText(w.shape)}, the model needs ${shapeText(shape)}`,
        );
      }
    }
    return { ...ck, state };
  });

  await fs.mkdir(runDir, { recursive: true });
  const config = {
    ...recipe.runConfig,
    name: `${recipe.runConfig.name ?? path.basename(bundleDir)} (torchrun)`,
  };
  writeRunConfig(runDir, config);
  await tokenizer.save(runDir);
  for (const ck of checked) {
    const files = new Map<string, Uint8Array>();
    for (const f of await fs.readdir(ck.dir)) {
      if (f !== COMPLETE_MARKER) files.set(f, await fs.readFile(path.join(ck.dir, f)));
    }
    if (!files.has(CHECKPOINT_MODEL_CONFIG)) throw new Error(`${ck.dir} lacks config.json`);
    publishDir(path.join(runDir, 'checkpoints', path.basename(ck.dir)), files);
  }
  const best = readBest(outputDir);
  const bestEvalLoss = best && checked.find((c) => c.step === best.step)?.state.bestEvalLoss;
  if (best && bestEvalLoss !== undefined && bestEvalLoss !== null) writeBest(runDir, best.step, bestEvalLoss);

  const last = checked[checked.length - 1];
  const { rows, skipped } = readOutputMetrics(outputDir);
  const kept = rows.filter((m) => m.step <= last.step);
  writeFileAtomic(path.join(runDir, METRICS_FILE), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  let done: DoneRecord = {};
  try {
    done = JSON.parse(readFileSync(path.join(outputDir, 'done.json'), 'utf8')) as DoneRecord;
  } catch {
    // train.py was stopped before it finished: the run is imported up to its newest checkpoint
  }
  const evals = kept.filter((m) => m.split === 'eval');
  const bestEval = evals.find((m) => m.step === best?.step) ?? [...evals].sort((a, b) => a.loss - b.loss)[0];
  const now = new Date().toISOString();
  const processes = done.processes ?? recipe.launch.nnodes * recipe.launch.nprocPerNode;
  writeRunStatus(runDir, {
    id: path.basename(runDir),
    createdAt: recipe.createdAt,
    updatedAt: now,
    status: done.steps === undefined ? 'stopped' : 'completed',
    pid: process.pid,
    stoppedBy: done.stoppedBy ?? 'stopped',
    steps: last.step,
    epochs: last.state.epoch,
    bestEval,
    lastTrain: kept.filter((m) => m.split === 'train').at(-1),
    backend: `torchrun: ${processes} process(es) on ${done.device ?? 'an unknown device'}`,
  });
  await fs.writeFile(
    path.join(runDir, 'import.json'),
    `${JSON.stringify({ bundle: bundleDir, output: outputDir, importedAt: now, skippedMetricLines: skipped }, null, 2)}\n`,
  );
  return {
    runDir,
    steps: last.step,
    epochs: last.state.epoch,
    checkpoints: checked.map((c) => c.step),
    bestStep: best?.step,
    metrics: kept.length,
    processes: done.processes,
    device: done.device,
  };
}
