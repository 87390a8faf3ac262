/**
 * The quality benchmark's rows are real run configs: every variant parses as `mlm train` will resolve it (with the
 * bench's validationSplit 0 and time budget), `default` is the per-minute recipe a user gets, and `bert-original` is
 * the same recipe the PyTorch reference runs (TORCH_RECIPE).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeRunConfig, parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { QUALITY_VARIANTS, TORCH_RECIPE } from '../../bench/qualityBench';

const resolved = (name: string, minutes: number): ResolvedRunConfig => {
  const r = parseRunConfig(
    mergeRunConfig(QUALITY_VARIANTS[name].config, {
      data: { validationSplit: 0 },
      training: { timeBudget: `${minutes}m` },
    }),
  );
  if (!r.ok) throw new Error(`${name}: ${r.errors.join('; ')}`);
  return r.config;
};

void describe('quality benchmark variants', () => {
  for (const name of Object.keys(QUALITY_VARIANTS)) {
    void test(`${name} is a valid run config`, () => {
      const c = resolved(name, 2);
      assert.equal(c.data.validationSplit, 0);
      assert.equal(c.training.timeBudget, '2m');
    });
  }

  void test('"default" is the per-minute recipe of a time-budgeted mini run', () => {
    const c = resolved('default', 5);
    assert.equal(c.training.recipe, 'per-minute');
    assert.equal(c.model.preset, 'mini');
  });

  void test('"bert-original" trains as the PyTorch reference does', () => {
    const c = resolved('bert-original', 5);
    assert.deepEqual(
      {
        lr: c.training.lr,
        warmupRatio: c.training.warmupRatio,
        batchSize: c.training.batchSize,
        dropout: c.model.dropout,
        maskProbability: c.data.masking.probability,
      },
      TORCH_RECIPE,
    );
    assert.equal(c.training.schedule, 'linear');
  });
});
