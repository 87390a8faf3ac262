/**
 * Transfer learning with Hugging Face BERT checkpoints (docs/transfer.md):
 *   importHfCheckpoint(dir) → {config, state, tokenizer, report}; createModelFromHf(ckpt, seed) → MlmModel
 *   exportHfFolder(...) / exportRun(runDir, outDir) → a folder BertForMaskedLM.from_pretrained loads
 *   extendVocabulary(...) → domain words added to a checkpoint's vocabulary (rows = mean of their pieces)
 *   safetensors reader/writer (validating)
 */
export {
  importHfCheckpoint,
  createModelFromHf,
  formatImportReport,
  HfImportError,
  type HfCheckpoint,
  type HfImportReport,
} from './importHf';
export { loadInitCheckpoint, isMlmRunDir, loadForInference, type InferenceModel } from './importHf';
export { importToRunDir, type ImportToRunOptions, type ImportToRunResult } from './importRun';
export { exportHfFolder, exportRun, HfExportError, EXPORTED_FILES, type ExportRunResult } from './exportHf';
export { prepareModelInit, type ModelInit } from './modelInit';
export {
  findSplitWords,
  extendVocabulary,
  type WordCandidate,
  type VocabExtensionOptions,
} from './vocabExtension';
export { modelCard, type ModelCardInfo } from './modelCard';
export { parseHfBertConfig, HfConfigError, SUPPORTED_ARCHITECTURES } from './hfConfig';
export {
  parseSafetensors,
  readSafetensorsFile,
  serializeSafetensors,
  writeSafetensorsFile,
  tensorAsFloat32,
  SafetensorsError,
  type SafetensorsFile,
} from './safetensors';
