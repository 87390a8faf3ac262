/** The dashboard's view of a run that ended, from mlm/runFinished (pure; the trainer's summary is untyped). */
import type { RunFinishedNotification } from '../../protocol/training';
import type { FinishedRunSummary } from '../../protocol/webview';

const RATE_KEYS = ['targetRate', 'maskRate', 'randomRate', 'keepRate'] as const;

/** Reads summary.maskingRates when it has the four finite fractions; anything else is left out. */
export function finishedRunSummary(p: RunFinishedNotification.Params): FinishedRunSummary {
  const rates = (p.summary as { maskingRates?: Record<string, unknown> } | undefined)?.maskingRates;
  const valid =
    typeof rates === 'object' &&
    rates !== null &&
    RATE_KEYS.every((k) => typeof rates[k] === 'number' && Number.isFinite(rates[k]));
  return {
    runId: p.runId,
    outcome: p.outcome,
    step: p.step,
    message: p.message,
    bestEvalLoss: p.bestEvalLoss,
    maskingRates: valid
      ? {
          targetRate: rates.targetRate as number,
          maskRate: rates.maskRate as number,
          randomRate: rates.randomRate as number,
          keepRate: rates.keepRate as number,
        }
      : undefined,
  };
}
