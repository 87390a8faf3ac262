/* eslint-disable @typescript-eslint/no-namespace -- each message is a namespace {method, type, Params, Result} (docs/style.md) */
/**
 * Runs handed to a distributed engine (`mlm launch --engine torchrun`, docs/scale-out.md) and brought back.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { LaunchImportSummary } from './shared/launch';

/**
 * Client → backend (MLM: Import torchrun Result…): turns a launch bundle's output (train.py's metrics.jsonl and
 * checkpoints) into a new run folder under the workspace's .mlm/runs, which mlm/runs then lists. Paths are the
 * backend's; a socket backend refuses a bundle outside its served roots (PathNotAllowed).
 */
export namespace ImportLaunchRequest {
  export const method = 'mlm/importLaunch' as const;
  export interface Params {
    /** The bundle folder `mlm launch` wrote (absolute, or relative to the workspace root). */
    bundle: string;
    /** The new run's id (its folder name under .mlm/runs): letters, digits, '.', '_' and '-'. */
    runId: string;
    /** train.py's --out folder, when it was not <bundle>/output. */
    output?: string;
  }
  export interface Result extends LaunchImportSummary {
    runId: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}
