/**
 * MLM: Compare Runs: pick two or more runs (or pass `{ runIds }`, or `{ with: runId }` to start the pick with one
 * ticked); the dashboard draws them together and shows their
 * final metrics and settings side by side, the differing settings highlighted (media/dashboard/compare.ts).
 */
import * as vscode from 'vscode';
import { RunsRequest } from '../../protocol/training';
import type { Ctx } from '../context';
import type { Dashboard } from '../dashboard/panel';

/** Resolves with the compared run ids, or undefined when the pick was cancelled. */
export async function compareRuns(
  ctx: Ctx,
  dashboard: Dashboard,
  arg?: unknown,
): Promise<string[] | undefined> {
  const given = (arg as { runIds?: unknown } | undefined)?.runIds;
  // `{ with: runId }` (the dashboard's Compare… button): the pick opens with that run ticked.
  const withRun = (arg as { with?: unknown } | undefined)?.with;
  let runIds =
    Array.isArray(given) && given.every((x) => typeof x === 'string') ? (given as string[]) : undefined;
  if (!runIds) {
    const { runs } = await ctx.requireClient().sendRequest(RunsRequest.type, {});
    if (runs.length < 2)
      throw new Error('Compare Runs needs two runs or more: train another (MLM: Train MLM).');
    const picked = await vscode.window.showQuickPick(
      runs.map((r) => ({
        label: r.runId,
        picked: r.runId === withRun,
        description: [
          r.task ? `fine-tune (${r.task})` : r.preset,
          r.status,
          r.step !== undefined ? `step ${r.step}` : '',
        ]
          .filter(Boolean)
          .join(' · '),
      })),
      { title: 'Compare Runs', placeHolder: 'Tick two runs or more', canPickMany: true },
    );
    if (!picked) return undefined;
    runIds = picked.map((p) => p.label);
  }
  if (runIds.length < 2) throw new Error('Compare Runs needs at least two runs: tick two or more.');
  await dashboard.compare(runIds);
  return runIds;
}
