/**
 * The launch bundle's format: bundle.json (BundleRecipe), data/manifest.json (DataManifest), and the options and
 * result of writing one (bundle.ts writes it, importBundle.ts and train.py read it).
 */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import type { TrainPlan } from '../train/plan';
import type { SpecialTokenIds, TrainCallbacks } from '../types';

/** bundle.json's format; train.py refuses another. */
export const BUNDLE_FORMAT = 1;
export const BUNDLE_FILE = 'bundle.json';
/** Where train.py writes by default (relative to the bundle). */
export const BUNDLE_OUTPUT = 'output';

export type LaunchEngine = 'torchrun';

/** Where the initial weights come from. */
export type LaunchSource =
  | { kind: 'config'; config: ResolvedRunConfig; file: string }
  | { kind: 'run'; runDir: string; config: ResolvedRunConfig };

export interface LaunchOptions {
  source: LaunchSource;
  /** Workspace root: corpus globs and relative paths resolve against it. */
  cwd: string;
  outDir: string;
  nnodes: number;
  nprocPerNode: number;
  /** Overwrite a non-empty outDir. */
  force?: boolean;
  callbacks?: TrainCallbacks;
}

/** bundle.json: everything train.py needs besides the weights and the shards. */
export interface BundleRecipe {
  format: number;
  engine: LaunchEngine;
  createdAt: string;
  /** Where the initial weights came from, in words (a config file, model.init, or a run's checkpoint). */
  initialWeights: string;
  /** The run config (paths are this machine's); `mlm launch import` gives it to the imported run. */
  runConfig: ResolvedRunConfig;
  special: SpecialTokenIds;
  data: {
    seqLen: number;
    masking: ResolvedRunConfig['data']['masking'];
    /** How the held-out examples are masked (BERT's rates whatever the run trains with). */
    evalMasking: ResolvedRunConfig['data']['masking'];
    evalMaskSeed: number;
    trainExamples: number;
    validationExamples: number;
  };
  training: ResolvedRunConfig['training'];
  plan: TrainPlan;
  checkpoint: ResolvedRunConfig['checkpoint'];
  launch: { nnodes: number; nprocPerNode: number };
}

export interface ShardFile {
  file: string;
  dtype: 'int32' | 'uint8';
  shape: number[];
  bytes: number;
  sha256: string;
}

export interface DataManifest {
  format: number;
  seqLen: number;
  vocabSize: number;
  splits: Record<'train' | 'validation', { examples: number; tokens: number; shards: number }>;
  shards: Array<{
    split: 'train' | 'validation';
    index: number;
    rows: number;
    files: { ids: ShardFile; word_start: ShardFile; lengths: ShardFile };
  }>;
}

export interface LaunchResult {
  outDir: string;
  recipe: BundleRecipe;
  manifest: DataManifest;
  /** The command launch.sh runs, for the message. */
  command: string;
  parameters: number;
}
