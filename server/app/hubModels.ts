/**
 * Hugging Face models for fill-mask and hovers (mlm/hubModels, mlm/useHubModel): the cache's masked-LM models, and
 * a model by Hub id (or cache folder) resolved into the shared Hugging Face cache — downloaded when missing — then
 * loaded by the inference worker under its Hub id.
 */
import type { HubCachedModel, HubModelsRequest, UseHubModelRequest } from '../../protocol/hub';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';
import { HubError, hubCacheDir, listCachedModels, resolveModelSource, type ModelProgress } from '../ml/hub';
import type { FillMaskModel } from './fillMaskModel';

export function cachedHubModels(env: NodeJS.ProcessEnv = process.env): HubModelsRequest.Result {
  const cacheDir = hubCacheDir(env);
  const models: HubCachedModel[] = listCachedModels(env, cacheDir).map((m) => ({
    id: m.id,
    revision: m.revision,
    commit: m.commit,
    size: m.size,
    family: m.family,
    usable: m.usable,
    ...(m.why ? { why: m.why } : {}),
  }));
  return { cacheDir, models };
}

export async function useHubModel(
  model: FillMaskModel,
  params: UseHubModelRequest.Params,
  opts: {
    root: string | null;
    signal: AbortSignal;
    onProgress(p: ModelProgress): void;
    log(level: 'info' | 'warn', message: string): void;
  },
): Promise<UseHubModelRequest.Result> {
  let resolved;
  try {
    resolved = await resolveModelSource(params.model, {
      cwd: opts.root ?? process.cwd(),
      revision: params.revision,
      signal: opts.signal,
      onProgress: opts.onProgress,
      onLog: opts.log,
    });
  } catch (err) {
    if (err instanceof HubError)
      throw new MlmError(MlmErrorCodes.HubModel, err.message, { hubCode: err.code });
    throw err;
  }
  const hub = resolved.hub;
  if (hub?.downloaded?.length) {
    opts.log('info', `${hub.repoId}: downloaded ${hub.downloaded.join(', ')} into ${resolved.dir}`);
  }
  let loaded;
  try {
    loaded = await model.load(resolved.dir, 'hub', hub?.repoId);
  } catch (err) {
    // Downloaded but not usable here (e.g. a tokenizer type not supported yet): say which model and why.
    const why = (err as Error).message;
    throw new MlmError(MlmErrorCodes.HubModel, `${params.model} cannot be used for fill-mask: ${why}`);
  }
  return {
    ...loaded,
    ...(hub ? { repoId: hub.repoId, commit: hub.commit } : {}),
    downloaded: hub?.downloaded?.length ?? 0,
  };
}
