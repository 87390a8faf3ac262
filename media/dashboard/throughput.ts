/** The run panel's throughput cells: tokens/s, GFLOP/s and MFU against the measured peak. Pure: no DOM. */
import type { MetricRecord } from '../../protocol/shared/metrics';

export interface Cell {
  k: string;
  v: string;
  /** Tooltip (the cell's title attribute). */
  title?: string;
}

/** GFLOP/s with 2 significant digits below 1 (the cpu backend), else one decimal. */
const gflops = (g: number): string => (g >= 1 ? g.toFixed(1) : g.toPrecision(2));

const MFU_TITLE =
  'Model FLOPs utilisation: tokens/s × the model’s training FLOPs per token (matrix products, forward × 3), ' +
  'divided by the matMul peak of this backend, measured on the training thread when the run started. ' +
  'Data-parallel runs compare against the per-thread peak × the replica threads.';

/** Tokens/s, and when the row carries them achieved GFLOP/s and MFU (with the peak they are measured against). */
export function throughputCells(
  r:
    | Pick<MetricRecord, 'tokensPerSec' | 'flopsPerToken' | 'achievedGflops' | 'peakGflops' | 'mfu'>
    | undefined,
): Cell[] {
  if (r?.tokensPerSec === undefined) return [];
  const cells: Cell[] = [{ k: 'Tokens/s', v: Math.round(r.tokensPerSec).toLocaleString() }];
  if (r.achievedGflops !== undefined && r.peakGflops !== undefined) {
    const perToken =
      r.flopsPerToken !== undefined ? ` at ${(r.flopsPerToken / 1e6).toFixed(1)} MFLOP per token` : '';
    cells.push({
      k: 'GFLOP/s',
      v: `${gflops(r.achievedGflops)} of ${gflops(r.peakGflops)} peak`,
      title: `Achieved: tokens/s${perToken}. Peak: matMul peak measured at run start.`,
    });
  }
  if (r.mfu !== undefined) cells.push({ k: 'MFU', v: `${(r.mfu * 100).toFixed(1)}%`, title: MFU_TITLE });
  return cells;
}
