/**
 * Models from the Hugging Face Hub and its local cache (docs/hub.md):
 *   resolveModelSource(spec) → a local folder for a path, a cache folder or a Hub id (downloaded when missing)
 *   fetchModel(id, { revision }) → the id's snapshot in the cache, with config, tokenizer and safetensors weights
 *   listCachedModels() → the masked-LM models in the cache (id, revision, size, family, usable)
 *   hubCacheDir(env) / isOfflineMode(env) → huggingface_hub's cache folder and offline switch
 */
export {
  hubCacheDir,
  isOfflineMode,
  cachedSnapshot,
  scanCache,
  snapshotOfCachePath,
  type Env,
} from './cache';
export { HubError, type HubErrorCode } from './errors';
export { isRepoId, checkRepoId, repoFolderName } from './repoId';
export {
  fetchModel,
  filesToFetch,
  snapshotProblem,
  hubEndpoint,
  hubToken,
  DEFAULT_ENDPOINT,
  type FetchModelOptions,
  type FetchedModel,
  type ModelProgress,
} from './snapshot';
export { listCachedModels, type CachedModel } from './models';
export { resolveModelSource, parseModelSpec, type ResolvedModel, type ModelSpec } from './resolve';
