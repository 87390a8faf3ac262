/**
 * MLM: Resume Run…: continue an unfinished run (interrupted by a reload or crash, stopped, or failed) from its newest
 * complete checkpoint, picked from the backend's mlm/runs (the steps and time the interruption cost are shown); and
 * the offer, once per run, when the backend (re)starts and finds a run that a reload or crash interrupted.
 */
import * as vscode from 'vscode';
import { RunsRequest, TrainRequest } from '../../protocol/training';
import type { Ctx } from '../context';
import { resumableRuns, resumeItem, resumeOffer, type ResumableRun } from './resumeText';

export interface ResumeArgs {
  /** Resume this run without asking (tests, the offer's button). */
  runId?: string;
  /** Open the dashboard once the run started (default true). */
  openDashboard?: boolean;
}

/** workspaceState key: the run ids already offered for resuming (each is offered once). */
const OFFERED_KEY = 'mlm.resumeOffered';
const MAX_OFFERED = 50;

async function listResumable(ctx: Ctx): Promise<ResumableRun[]> {
  const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
  return resumableRuns(runs);
}

/** Resolves with the resumed run, or undefined when there was nothing to resume or the pick was cancelled. */
export async function resumeRun(
  ctx: Ctx,
  openDashboard: () => Promise<void>,
  arg?: unknown,
): Promise<TrainRequest.Result | undefined> {
  const args = (arg ?? {}) as ResumeArgs;
  const candidates = await listResumable(ctx);
  let run: ResumableRun | undefined;
  if (args.runId !== undefined) {
    run = candidates.find((r) => r.runId === args.runId);
    if (!run) {
      throw new Error(
        `run ${args.runId} cannot be resumed: it finished, is training, is a fine-tune run, or has no complete checkpoint`,
      );
    }
  } else if (!candidates.length) {
    void vscode.window.showInformationMessage(
      'MLM: no unfinished run with a complete checkpoint in this workspace. "MLM: Train MLM" starts a new run.',
    );
    return undefined;
  } else {
    const picked = await vscode.window.showQuickPick(
      candidates.map((r) => ({ ...resumeItem(r), run: r })),
      {
        title: 'Resume Run',
        placeHolder: 'An unfinished run: it continues from its last complete checkpoint',
        matchOnDetail: true,
      },
    );
    run = picked?.run;
  }
  if (!run) return undefined;
  // The dashboard draws the resumed run as one curve: rows after the checkpoint are trained (and logged) again.
  ctx.markResumed(run.runId, run.resume.checkpointStep);
  const result = await ctx.requireClient().sendRequest(TrainRequest.type, { resumeFrom: run.dir });
  ctx.log.info(`run ${result.runId} resumed from step ${run.resume.checkpointStep} (${run.dir})`);
  if (args.openDashboard !== false) await openDashboard();
  return result;
}

/**
 * When the backend starts: offers to resume the newest run a reload or crash interrupted, once per run (remembered in
 * the workspace state). `offered` lists what was offered since activation (tests read it).
 */
export function offerResumeAfterInterruption(ctx: Ctx, offered: string[]): vscode.Disposable {
  return ctx.onServerStarted(() => {
    if (!ctx.trusted) return;
    void (async () => {
      const state = ctx.extension.workspaceState;
      const seen = new Set(state.get<string[]>(OFFERED_KEY, []));
      const interrupted = (await listResumable(ctx)).filter(
        (r) => r.status === 'interrupted' && !seen.has(r.runId),
      );
      if (!interrupted.length) return;
      const ids = interrupted.map((r) => r.runId);
      await state.update(OFFERED_KEY, [...seen, ...ids].slice(-MAX_OFFERED));
      const run = interrupted[0];
      offered.push(run.runId);
      const choice = await vscode.window.showInformationMessage(resumeOffer(run), 'Resume Run', 'Not Now');
      if (choice === 'Resume Run') {
        await vscode.commands.executeCommand('mlm.resumeRun', { runId: run.runId } satisfies ResumeArgs);
      }
    })().catch((err: unknown) => ctx.log.warn(`resume offer: ${(err as Error).message}`));
  });
}
