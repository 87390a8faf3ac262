/**
 * training.recipe (protocol/runRecipe.ts): which values a run trains with where its config is silent. `auto` picks
 * the per-minute recipe for a time-budgeted pretraining run from scratch and the classic BERT recipe otherwise; the
 * config's own values always win; a resolved config parses to itself (a resume keeps its values).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { chooseRecipe, perMinuteLr } from '../../../protocol/runRecipe';

const resolve = (raw: unknown): ResolvedRunConfig => {
  const r = parseRunConfig(raw);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
};

/** What a run trains with: the values the recipes set. */
const picked = (c: ResolvedRunConfig) => ({
  recipe: c.training.recipe,
  lr: c.training.lr,
  batchSize: c.training.batchSize,
  warmupRatio: c.training.warmupRatio,
  schedule: c.training.schedule,
  dropout: c.model.dropout,
  masking: c.data.masking.probability,
  ...(c.model.overrides.gruUnits !== undefined ? { gruUnits: c.model.overrides.gruUnits } : {}),
});

const BERT = {
  recipe: 'bert',
  lr: 5e-4,
  batchSize: 16,
  warmupRatio: 0.06,
  schedule: 'linear',
  dropout: 0.1,
  masking: 0.15,
};
const PER_MINUTE = {
  recipe: 'per-minute',
  lr: 2e-3,
  batchSize: 32,
  warmupRatio: 0.05,
  schedule: 'linear',
  dropout: 0,
  masking: 0.3,
};

void describe('training.recipe', () => {
  const table: Array<[string, unknown, object]> = [
    ['no stop given: bert', {}, BERT],
    ['a step count: bert', { training: { maxSteps: 100 } }, BERT],
    ['a time budget: per-minute', { training: { timeBudget: '5m' } }, PER_MINUTE],
    ['a time budget with recipe "bert": bert', { training: { timeBudget: '5m', recipe: 'bert' } }, BERT],
    [
      'recipe "per-minute" with a step count',
      { training: { recipe: 'per-minute', maxSteps: 50 } },
      PER_MINUTE,
    ],
    [
      "the config's own values win over the recipe's",
      {
        model: { dropout: 0.2 },
        data: { masking: { probability: 0.15 } },
        training: { timeBudget: '5m', lr: 1e-3 },
      },
      { ...PER_MINUTE, lr: 1e-3, dropout: 0.2, masking: 0.15 },
    ],
    [
      'a long budget lowers the peak lr (2 h: 2e-3 × √(15/120))',
      { training: { timeBudget: '2h' } },
      { ...PER_MINUTE, lr: 7.07e-4 },
    ],
    [
      'BiGRU: its own peak lr and 256 GRU units',
      { model: { arch: 'bigru' }, training: { timeBudget: '5m' } },
      { ...PER_MINUTE, lr: 3e-3, gruUnits: 256 },
    ],
    [
      "BiGRU: the config's own size wins",
      { model: { arch: 'bigru', overrides: { gruUnits: 64 } }, training: { timeBudget: '5m' } },
      { ...PER_MINUTE, lr: 3e-3, gruUnits: 64 },
    ],
    [
      'BiGRU with the bert recipe: its default size',
      { model: { arch: 'bigru' }, training: { timeBudget: '5m', recipe: 'bert' } },
      BERT,
    ],
    [
      'continued pretraining (model.init) keeps bert',
      { model: { init: 'some/model' }, training: { timeBudget: '5m' } },
      BERT,
    ],
  ];
  for (const [name, raw, want] of table) {
    void test(name, () => {
      const c = resolve(raw);
      assert.deepEqual(picked(c), want);
      // A run's config.json parses to itself: a resume trains on with the same values.
      assert.deepEqual(resolve(JSON.parse(JSON.stringify(c))), c);
    });
  }

  void test('the masking rate of the recipe is for training; its evaluation is fixed elsewhere (15 %)', () => {
    assert.equal(resolve({ training: { timeBudget: '10m' } }).data.masking.maskFraction, 0.8);
  });

  void test('an unknown recipe is refused, naming the choices', () => {
    const r = parseRunConfig({ training: { recipe: 'fast', timeBudget: '5m' } });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, ['training.recipe must be one of "auto", "bert", "per-minute", got "fast"']);
  });

  void test('the peak lr never drops below 5e-4 and is 2e-3 up to 15 minutes', () => {
    assert.equal(perMinuteLr('bert', 60_000), 2e-3);
    assert.equal(perMinuteLr('bert', 15 * 60_000), 2e-3);
    assert.equal(perMinuteLr('bert', 100 * 3_600_000), 5e-4);
  });
});

void test('fine-tuning (a task section) keeps the classic recipe under a time budget', () => {
  assert.equal(
    chooseRecipe({ recipe: undefined, budgetMs: 300_000, init: undefined, task: { kind: 'classification' } }),
    'bert',
  );
  assert.equal(chooseRecipe({ recipe: 'auto', budgetMs: 300_000, init: null, task: null }), 'per-minute');
});
