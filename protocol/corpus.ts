/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/** The corpus index the backend keeps current by watching the workspace. */
import { RequestType0 } from 'vscode-jsonrpc';

export interface CorpusStats {
  /** Watched root (the workspace folder), or null without a workspace. */
  root: string | null;
  /** Text files indexed and usable for training. */
  files: number;
  /** Total characters of those files after decoding. */
  chars: number;
  bytes: number;
  /** Files skipped, by reason ("binary", "too large", "invalid encoding", "unreadable", ...). */
  skipped: Record<string, number>;
  /** True while the initial scan or a change is being indexed. */
  indexing: boolean;
  /** Increments on every index change; a run started at version v used the index as of v. */
  version: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
  /** Why watching is off (no workspace, untrusted, watcher failed and fell back to rescans), if it is. */
  message?: string;
}

/** Client → backend, any time: the current corpus index statistics. */
export namespace CorpusStatsRequest {
  export const method = 'mlm/corpusStats' as const;
  export type Result = CorpusStats;
  export const type = new RequestType0<Result, void>(method);
}
