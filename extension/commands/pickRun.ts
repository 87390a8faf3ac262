/**
 * The run quick pick of the run actions (Export to Hugging Face…, Evaluate Run…, Tokenizer Coverage Report): the
 * backend's runs (mlm/runs) that `keep` accepts, each with its kind, step and best validation loss.
 */
import * as vscode from 'vscode';
import { RunsRequest, type RunInfo } from '../../protocol/training';
import type { Ctx } from '../context';

export interface PickRunOptions {
  title: string;
  placeHolder: string;
  /** Which runs to offer (default: those with a checkpoint). */
  keep?: (r: RunInfo) => boolean;
  /** The error when no run qualifies (names what to do). */
  none: string;
}

/** One line describing a run: fine-tune (task) or its preset/arch, and its step. */
export function runDescription(r: RunInfo): string {
  return `${r.task ? `fine-tune (${r.task})` : (r.preset ?? r.arch ?? '')} · step ${r.step ?? 0}`;
}

/** The picked run, or undefined when the pick was dismissed; throws `none` when no run qualifies. */
export async function pickRun(ctx: Ctx, o: PickRunOptions): Promise<RunInfo | undefined> {
  const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
  const offered = runs.filter(o.keep ?? ((r) => r.checkpoints.length > 0));
  if (!offered.length) throw new Error(o.none);
  const pick = await vscode.window.showQuickPick(
    offered.map((r) => ({
      label: r.runId,
      description: runDescription(r),
      detail: r.bestEvalLoss !== undefined ? `best validation loss ${r.bestEvalLoss.toFixed(3)}` : undefined,
      run: r,
    })),
    { title: o.title, placeHolder: o.placeHolder },
  );
  return pick?.run;
}

/** The run named by `runId` among the backend's runs, or an error naming it. */
export async function runById(ctx: Ctx, runId: string): Promise<RunInfo> {
  const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
  const run = runs.find((r) => r.runId === runId);
  if (!run)
    throw new Error(`No run ${runId} in this workspace (MLM: Open Training Dashboard lists the runs).`);
  return run;
}
