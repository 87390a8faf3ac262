/**
 * Runs and checkpoints on disk, for the trainer, the backend (mlm/runs, mlm/loadCheckpoint) and the CLI.
 *   listRuns(root)                     → summaries of every run under root, newest first
 *   loadRunForInference(dir)           → model + tokenizer of a run's best (or newest) complete checkpoint
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { createModel, fromHfConfig } from '../model';
import { loadTokenizer } from '../tokenizer';
import { modelConfigFor } from '../train/modelConfig';
import type { MetricRecord, MlmModel, ModelConfig, Tokenizer } from '../types';
import { isComplete } from './atomic';
import type { RunStatus } from '../../../protocol/shared/runState';
import { readRunConfigFile, readRunStatus } from './runDir';
import {
  listCheckpoints,
  newestUsableCheckpoint,
  readBest,
  readState,
  readWeights,
  STATE_FILE,
} from './store';

export * from './atomic';
export * from './runDir';
export * from './state';
export * from './store';
export * from './tensorboard';

/** The Hugging Face config.json written beside model.safetensors in every checkpoint. */
export const CHECKPOINT_MODEL_CONFIG = 'config.json';

export interface RunListing {
  id: string;
  dir: string;
  status: RunStatus | 'unknown';
  steps: number;
  bestEval?: MetricRecord;
  createdAt: string;
  /** Complete checkpoints on disk (steps, oldest first). */
  checkpoints: number[];
  bestCheckpoint?: number;
  arch?: string;
  preset?: string;
  error?: string;
}

/** True when process `pid` exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every run folder under `root` (default <workspace>/.mlm/runs), newest first. Never throws. */
export function listRuns(root: string): RunListing[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
  const out: RunListing[] = [];
  for (const id of names) {
    const dir = path.join(root, id);
    const st = readRunStatus(dir);
    let config: Partial<ResolvedRunConfig> | undefined;
    try {
      config = readRunConfigFile(dir) as Partial<ResolvedRunConfig>;
    } catch {
      if (!st) continue; // not a run folder
    }
    const checkpoints = listCheckpoints(dir).map((c) => c.step);
    let status: RunListing['status'] = st?.status ?? 'unknown';
    if (status === 'running' && st && st.pid !== process.pid && !pidAlive(st.pid)) status = 'interrupted';
    out.push({
      id,
      dir,
      status,
      steps: st?.steps ?? checkpoints.at(-1) ?? 0,
      bestEval: st?.bestEval,
      createdAt: st?.createdAt ?? fs.statSync(dir).birthtime.toISOString(),
      checkpoints,
      bestCheckpoint: readBest(dir)?.step,
      arch: config?.model?.arch,
      preset: config?.model?.preset,
      error: st?.error,
    });
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

/** Resolves a run folder or a checkpoint folder to (runDir, checkpointDir). Throws naming what is missing. */
export function resolveCheckpoint(dirOrCheckpoint: string): { runDir: string; checkpointDir: string } {
  const dir = path.resolve(dirOrCheckpoint);
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist: pass a run folder (.mlm/runs/<run-id>)`);
  if (fs.existsSync(path.join(dir, STATE_FILE))) {
    if (!isComplete(dir)) {
      throw new Error(
        `${dir} is an incomplete checkpoint (the save was interrupted): pass the run folder instead`,
      );
    }
    return { runDir: path.dirname(path.dirname(dir)), checkpointDir: dir };
  }
  const best = readBest(dir);
  const newest = best ?? newestUsableCheckpoint(dir);
  if (!newest) {
    throw new Error(
      `${dir} has no complete checkpoint yet: train longer (a checkpoint is saved every checkpoint.every steps and at the end) or pass another run`,
    );
  }
  return { runDir: dir, checkpointDir: newest.dir };
}

export function readResolvedRunConfig(runDir: string): ResolvedRunConfig {
  let raw: unknown;
  try {
    raw = readRunConfigFile(runDir);
  } catch (err) {
    throw new Error(
      `cannot read ${path.join(runDir, 'config.json')}: ${(err as Error).message}; is this a run folder?`,
    );
  }
  const parsed = parseRunConfig(raw);
  if (!parsed.ok)
    throw new Error(`${path.join(runDir, 'config.json')} is invalid: ${parsed.errors.join('; ')}`);
  return parsed.config;
}

/**
 * The model config saved in a checkpoint (its config.json, read by the strict parser); a checkpoint from before
 * config.json was saved has the shape the run config implies. A config.json that is there but unreadable or
 * invalid is an error naming the file (never silently replaced by the run config's shape).
 */
export function checkpointModelConfig(
  checkpointDir: string,
  config: ResolvedRunConfig,
  vocabSize: number,
): ModelConfig {
  const file = path.join(checkpointDir, CHECKPOINT_MODEL_CONFIG);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return modelConfigFor(config, vocabSize);
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}): the checkpoint is damaged; use another checkpoint of the run`,
    );
  }
  return fromHfConfig(json, file);
}

/**
 * Loads the best (else the newest) complete checkpoint of a run, or the given checkpoint folder, with
 * the run's tokenizer. The compute backend must be initialised first (initBackend).
 */
export async function loadRunForInference(dirOrCheckpoint: string): Promise<{
  model: MlmModel;
  tokenizer: Tokenizer;
  config: ResolvedRunConfig;
  step: number;
  checkpointDir: string;
  runDir: string;
}> {
  const { runDir, checkpointDir } = resolveCheckpoint(dirOrCheckpoint);
  const config = readResolvedRunConfig(runDir);
  const tokenizer = await loadTokenizer(runDir);
  const state = readState(checkpointDir);
  const model = createModel(checkpointModelConfig(checkpointDir, config, tokenizer.vocabSize), {
    seed: config.training.seed,
  });
  try {
    model.loadHfState(readWeights(checkpointDir));
  } catch (err) {
    model.dispose();
    throw new Error(`cannot load ${checkpointDir}: ${(err as Error).message}`);
  }
  return { model, tokenizer, config, step: state.step, checkpointDir, runDir };
}
