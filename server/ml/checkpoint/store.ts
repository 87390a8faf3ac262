/**
 * Checkpoints of a run: <runDir>/checkpoints/step-<N>/ with model.safetensors (Hugging Face names and
 * shapes), optimizer.safetensors (AdamW moments), state.json and the COMPLETE marker written last;
 * <runDir>/checkpoints/best.json names the best one. Readers only ever see complete checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseSafetensors, serializeSafetensors, tensorAsFloat32 } from '../hf/safetensors';
import type { NamedTensor } from '../types';
import { crashPoint } from '../atomicWrite';
import { isComplete, publishDir, TEMP_PREFIX, writeFileAtomic } from './atomic';
import { LOSS_SPIKE_DEFAULTS, type CheckpointState } from './state';

export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';
export const BEST_FILE = 'best.json';

export interface StoredCheckpoint {
  step: number;
  dir: string;
}

export const checkpointsDir = (runDir: string): string => path.join(runDir, 'checkpoints');
export const stepDirName = (step: number): string => `step-${step}`;

/** Writes one checkpoint atomically. Throws (e.g. ENOSPC) leaving no partial folder behind. */
export function saveCheckpoint(
  runDir: string,
  data: {
    state: CheckpointState;
    weights: Map<string, NamedTensor>;
    optimizer: Map<string, NamedTensor>;
    /** More files for the folder, e.g. the Hugging Face config.json of the model. */
    extraFiles?: ReadonlyMap<string, string>;
  },
): StoredCheckpoint {
  for (const [name, t] of data.weights) {
    if (!t.data.every(Number.isFinite)) {
      throw new Error(`refusing to save step ${data.state.step}: weight "${name}" contains NaN or Infinity`);
    }
  }
  const dir = path.join(checkpointsDir(runDir), stepDirName(data.state.step));
  publishDir(
    dir,
    new Map<string, string | Uint8Array>([
      [MODEL_FILE, serializeSafetensors(data.weights, { format: 'pt' })],
      [OPTIMIZER_FILE, serializeSafetensors(data.optimizer, { optimizerStep: String(data.state.step) })],
      ...(data.extraFiles ?? new Map<string, string>()),
      [STATE_FILE, `${JSON.stringify(data.state, null, 2)}\n`],
    ]),
  );
  return { step: data.state.step, dir };
}

/**
 * Complete checkpoints of a run, oldest first. With `clean`, temporary and incomplete folders (left by
 * a killed save) are deleted; readers that may run beside a writer pass clean: false.
 */
export function listCheckpoints(runDir: string, opts: { clean?: boolean } = {}): StoredCheckpoint[] {
  const root = checkpointsDir(runDir);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: StoredCheckpoint[] = [];
  for (const e of entries) {
    const dir = path.join(root, e.name);
    const m = /^step-(\d+)$/.exec(e.name);
    if (e.isDirectory() && m && isComplete(dir)) {
      out.push({ step: Number(m[1]), dir });
    } else if (opts.clean && (e.name.startsWith(TEMP_PREFIX) || (m && e.isDirectory()))) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

export function readState(dir: string): CheckpointState {
  const text = fs.readFileSync(path.join(dir, STATE_FILE), 'utf8');
  const s = JSON.parse(text) as CheckpointState;
  if (typeof s.step !== 'number' || !s.position)
    throw new Error(`${dir}/${STATE_FILE} is not a checkpoint state`);
  return { ...LOSS_SPIKE_DEFAULTS, ...s };
}

function readTensors(file: string): Map<string, NamedTensor> {
  const st = parseSafetensors(fs.readFileSync(file), file);
  const out = new Map<string, NamedTensor>();
  for (const name of st.entries.keys()) out.set(name, tensorAsFloat32(st, name));
  return out;
}

export function readWeights(dir: string): Map<string, NamedTensor> {
  return readTensors(path.join(dir, MODEL_FILE));
}

export function readOptimizer(dir: string): Map<string, NamedTensor> {
  return readTensors(path.join(dir, OPTIMIZER_FILE));
}

/** The step recorded as best, if its checkpoint still exists and is complete. */
export function readBest(runDir: string): StoredCheckpoint | undefined {
  try {
    const b = JSON.parse(fs.readFileSync(path.join(checkpointsDir(runDir), BEST_FILE), 'utf8')) as {
      step: number;
    };
    const dir = path.join(checkpointsDir(runDir), stepDirName(b.step));
    return isComplete(dir) ? { step: b.step, dir } : undefined;
  } catch {
    return undefined;
  }
}

export function writeBest(runDir: string, step: number, evalLoss: number): void {
  writeFileAtomic(
    path.join(checkpointsDir(runDir), BEST_FILE),
    `${JSON.stringify({ step, dir: stepDirName(step), evalLoss })}\n`,
  );
}

/**
 * Keeps the newest `keepLast` complete checkpoints plus the best one (when keepBest) and the one a
 * resume started from; deletes the others. Returns the deleted steps.
 */
export function rotateCheckpoints(
  runDir: string,
  opts: { keepLast: number; keepBest: boolean; protect?: number[] },
): number[] {
  const all = listCheckpoints(runDir);
  const keep = new Set(all.slice(-opts.keepLast).map((c) => c.step));
  if (opts.keepBest) {
    const best = readBest(runDir);
    if (best) keep.add(best.step);
  }
  for (const p of opts.protect ?? []) keep.add(p);
  const deleted: number[] = [];
  for (const c of all) {
    if (keep.has(c.step)) continue;
    // Remove the marker first so that a crash mid-delete leaves an incomplete (ignored) folder.
    fs.rmSync(path.join(c.dir, 'COMPLETE'), { force: true });
    crashPoint(`rotation: step-${c.step} marker removed`);
    fs.rmSync(c.dir, { recursive: true, force: true });
    deleted.push(c.step);
  }
  return deleted;
}

/**
 * The newest complete checkpoint whose state can be read (a corrupt one is skipped), or undefined.
 * Never throws.
 */
export function newestUsableCheckpoint(
  runDir: string,
  opts: { clean?: boolean } = {},
): (StoredCheckpoint & { state: CheckpointState }) | undefined {
  let list: StoredCheckpoint[];
  try {
    list = listCheckpoints(runDir, opts);
  } catch {
    return undefined;
  }
  for (const c of list.reverse()) {
    try {
      return { ...c, state: readState(c.dir) };
    } catch {
      // unreadable state: try the previous one
    }
  }
  return undefined;
}
