/** mlm/runs: the runs on disk as RunInfo, optionally with their metrics history. */
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { RunInfo, RunsRequest } from '../../protocol/training';
import { listRuns, readMetrics, readRunConfigFile } from '../ml/checkpoint';
import { defaultRunsRoot } from '../ml/checkpoint/runDir';
import { FINETUNE_FILE, readFinetuneRecord } from '../ml/finetune';
import fs from 'node:fs';
import path from 'node:path';

/** A fine-tune run's task kind, from its finetune.json; undefined for a pretraining run (or an unreadable record). */
function taskOf(dir: string): string | undefined {
  if (!fs.existsSync(path.join(dir, FINETUNE_FILE))) return undefined;
  try {
    return readFinetuneRecord(dir).head.task;
  } catch {
    return undefined;
  }
}

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
      task: taskOf(r.dir),
    };
  });
  return p.includeMetrics ? { runs, metrics } : { runs };
}
