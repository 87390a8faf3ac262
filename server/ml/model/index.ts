/**
 * The model API the trainer, checkpoints, fill-mask and CLI build on.
 *   createModel(config, { seed }) → MlmModel (server/ml/types.ts)
 *   bertPreset(name, vocabSize, maxPositions?) / bigruConfig(vocabSize, opts?) → configs
 *   toHfConfig(config) / fromHfConfig(json) → Hugging Face config.json (snake_case) and back
 */
import type { MlmModel, ModelConfig } from '../types';
import { BertMlm } from './bert';
import { BigruMlm } from './bigru';
import { validateModelConfig } from './presets';

export {
  bertPreset,
  bigruConfig,
  BERT_PRESETS,
  BERT_PRESET_NAMES,
  validateModelConfig,
  type BertPresetName,
} from './presets';
export { toHfConfig, fromHfConfig } from './modelConfigJson';
export { isNoDecayParameter } from './naming';

export interface CreateModelOptions {
  /** Seeds the initial weights and the dropout stream; the same seed gives the same model. Default 0. */
  seed?: number;
}

/** Builds a freshly initialised model (normal(0, initializerRange) weights like Hugging Face). */
export function createModel(config: ModelConfig, opts: CreateModelOptions = {}): MlmModel {
  validateModelConfig(config);
  const seed = opts.seed ?? 0;
  return config.arch === 'bert' ? new BertMlm(config, seed) : new BigruMlm(config, seed);
}
