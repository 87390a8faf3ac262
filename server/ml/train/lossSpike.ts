/**
 * The loss-spike guard (training.lossSpike; reliability row 32), beside the NaN/Inf guard of train/update.ts: a step
 * whose loss exceeds `factor` × the running average of the applied steps' losses is not applied (weights and
 * optimizer moments untouched) and is counted in `lossSpikes`; `maxInRow` such steps in a row roll the weights and
 * optimizer moments back to the newest complete checkpoint and multiply the learning rate by `lrFactor` from then on
 * (`rollbacks`, and the `lr` column, show it). The step counter and the data stream go on: the batches that spiked
 * are not replayed. Everything it keeps is in the CheckpointState, so a resumed run continues the same guard.
 *
 * The average is an exponential moving average (LOSS_EMA_BETA: about the last 50 applied steps), and the guard is
 * off for the first `warmupSteps` applied steps, while the loss still falls fast. It never measures against less
 * than LOSS_SPIKE_FLOOR: a converged fine-tune whose loss is 0.02 is not "spiking" at 0.3.
 */
import type { ResolvedRunConfig } from '../../../protocol/runConfig';
import { newestUsableCheckpoint, readOptimizer, readWeights, type CheckpointState } from '../checkpoint';
import type { TrainCallbacks } from '../types';
import type { AdamW } from './adamw';
import type { TrainableModel } from './objective';

export type LossSpikeConfig = NonNullable<ResolvedRunConfig['training']['lossSpike']>;

/** Weight of the previous average in the running loss (≈ the last 1 / (1 − β) = 50 applied steps). */
export const LOSS_EMA_BETA = 0.98;

/** The least running loss a spike is measured against (nats, or the task loss's unit). */
export const LOSS_SPIKE_FLOOR = 1;

/** Rollbacks with no applied step between them before the run stops: the loss no longer comes back. */
export const MAX_ROLLBACKS_IN_ROW = 3;

/** The guard's part of the CheckpointState. */
export type LossSpikeState = Pick<
  CheckpointState,
  | 'step'
  | 'lossEma'
  | 'lossEmaSteps'
  | 'lossSpikes'
  | 'spikesInRow'
  | 'rollbacks'
  | 'rollbacksInRow'
  | 'lrScale'
>;

/** The loss above which this step is a spike (UpdateOptions.maxLoss), or undefined while the guard is off. */
export function spikeThreshold(cfg: LossSpikeConfig | null, s: LossSpikeState): number | undefined {
  if (!cfg || s.lossEma === null || s.lossEmaSteps < cfg.warmupSteps) return undefined;
  return cfg.factor * Math.max(s.lossEma, LOSS_SPIKE_FLOOR);
}

/** An applied step: its loss moves the running average; the runs of spikes and rollbacks end. */
export function recordApplied(s: LossSpikeState, loss: number): void {
  s.lossEma = s.lossEma === null ? loss : LOSS_EMA_BETA * s.lossEma + (1 - LOSS_EMA_BETA) * loss;
  s.lossEmaSteps++;
  s.spikesInRow = 0;
  s.rollbacksInRow = 0;
}

/**
 * A skipped spike: counted and logged. At `maxInRow` in a row, rolls back (see the top); returns an error message
 * when MAX_ROLLBACKS_IN_ROW rollbacks came with no applied step between them (the run stops).
 */
export function onSpike(
  cfg: LossSpikeConfig,
  s: LossSpikeState,
  loss: number,
  rollback: { runDir: string; model: TrainableModel; optimizer: AdamW; log: TrainCallbacks['onLog'] },
): string | undefined {
  s.lossSpikes++;
  s.spikesInRow++;
  const average = s.lossEma ?? NaN;
  rollback.log?.(
    'warn',
    `step ${s.step + 1} skipped: loss ${loss.toFixed(3)} is over ${cfg.factor}× the running average ${average.toFixed(3)} ` +
      `(training.lossSpike.factor); ${s.spikesInRow} in a row, ${s.lossSpikes} in all`,
  );
  if (s.spikesInRow < cfg.maxInRow) return undefined;
  s.spikesInRow = 0;
  s.rollbacks++;
  s.rollbacksInRow++;
  if (s.rollbacksInRow > MAX_ROLLBACKS_IN_ROW) {
    return (
      `training stopped at step ${s.step}: the loss stayed over ${cfg.factor}× its running average ` +
      `(${average.toFixed(3)}) through ${MAX_ROLLBACKS_IN_ROW} rollbacks in a row; check the corpus for a change, ` +
      'raise training.lossSpike.factor, or set training.lossSpike to null. The last good checkpoint is kept.'
    );
  }
  s.lrScale *= cfg.lrFactor;
  const lower = `the learning rate is now ×${Number(s.lrScale.toPrecision(4))} of the schedule`;
  const ck = newestUsableCheckpoint(rollback.runDir);
  if (!ck) {
    rollback.log?.(
      'warn',
      `${cfg.maxInRow} loss spikes in a row at step ${s.step + 1} and no checkpoint to roll back to yet: ${lower}`,
    );
    return undefined;
  }
  rollback.model.loadHfState(readWeights(ck.dir));
  rollback.optimizer.setState({ step: ck.state.step, tensors: readOptimizer(ck.dir) });
  rollback.log?.(
    'warn',
    `${cfg.maxInRow} loss spikes in a row at step ${s.step + 1}: weights and optimizer rolled back to ${ck.dir} ` +
      `(step ${ck.state.step}), ${lower} (training.lossSpike.lrFactor); the data goes on past the spiking batches`,
  );
  return undefined;
}
