/** mlm/runs: the runs on disk as RunInfo, optionally with their metrics history. */
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { RunInfo, RunsRequest } from '../../protocol/training';
import { listRuns, readMetrics, readRunConfigFile } from '../ml/checkpoint';
import { defaultRunsRoot } from '../ml/checkpoint/runDir';

export function listRunInfos(
  root: string,
  activeRunId: string | undefined,
  p: RunsRequest.Params,
): RunsRequest.Result {
  const wanted = p.runIds ? new Set(p.runIds) : undefined;
  const listed = listRuns(defaultRunsRoot(root)).filter((r) => !wanted || wanted.has(r.id));
  const metrics: Record<string, MetricRecord[]> = {};
  const runs: RunInfo[] = listed.map((r) => {
    // metrics.jsonl is read only when asked for: it can be long.
    const rows = p.includeMetrics ? readMetrics(r.dir) : [];
    if (p.includeMetrics) metrics[r.id] = rows;
    const lastTrain = rows.findLast((m) => m.split === 'train');
    let maxSteps: number | undefined;
    try {
      const c = readRunConfigFile(r.dir) as { training?: { maxSteps?: number | null } };
      maxSteps = c.training?.maxSteps ?? undefined;
    } catch {
      // no config.json: an interrupted start
    }
    return {
      runId: r.id,
      dir: r.dir,
      startedAt: r.createdAt,
      status: r.status,
      arch: r.arch,
      preset: r.preset,
      step: r.steps,
      maxSteps,
      lastLoss: lastTrain?.loss,
      bestEvalLoss: r.bestEval?.loss,
      bestEvalAccuracy: r.bestEval?.accuracy,
      checkpoints: r.checkpoints,
      active: r.id === activeRunId,
    };
  });
  return p.includeMetrics ? { runs, metrics } : { runs };
}
