/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Models from the Hugging Face Hub and its local cache for fill-mask and hovers (docs/hub.md): the cached models to
 * pick from, and "use this model" (downloaded into the shared cache when missing, with progress, cancellable).
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { LoadCheckpointRequest } from './inference';

/** One masked-LM model of the Hugging Face cache. */
export interface HubCachedModel {
  /** ORG/NAME */
  id: string;
  /** "main" (or another ref) naming the cached snapshot, else its short commit. */
  revision: string;
  commit: string;
  /** Bytes on disk of the repo's blobs. */
  size: number;
  /** BERT, DistilBERT, RoBERTa, … */
  family: string;
  usable: boolean;
  /** Why it cannot be used, when it cannot. */
  why?: string;
}

/** Client → backend (Use a Hugging Face Model…): the masked-LM models in the Hugging Face cache. */
export namespace HubModelsRequest {
  export const method = 'mlm/hubModels' as const;
  export type Params = Record<string, never>;
  export interface Result {
    /** The cache folder read ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub). */
    cacheDir: string;
    models: HubCachedModel[];
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Client → backend: use a Hub model (ORG/NAME, or a folder of the cache) for fill-mask and hovers, downloading it
 * into the Hugging Face cache when missing (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE apply). Cancelling the request
 * stops the download (the partial file is kept for the next try). Fails with MlmErrorCodes.HubModel naming the cause.
 */
export namespace UseHubModelRequest {
  export const method = 'mlm/useHubModel' as const;
  export interface Params {
    model: string;
    /** Branch, tag or commit (default main). */
    revision?: string;
  }
  export interface Result extends LoadCheckpointRequest.Result {
    repoId?: string;
    commit?: string;
    /** Files downloaded now (0 when the cache had everything). */
    downloaded: number;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Backend → client while mlm/useHubModel downloads: bytes of all files to fetch, received so far. */
export namespace HubProgressNotification {
  export const method = 'mlm/hubProgress' as const;
  export interface Params {
    model: string;
    file: string;
    received: number;
    total: number;
  }
  export const type = new NotificationType<Params>(method);
}
