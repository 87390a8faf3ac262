/**
 * What a resume may change (server/ml/train/resumeConfig.ts), one rule for pretraining and fine-tune runs: a resumed
 * run keeps its saved model, data, task and optimizer, and takes the caller's stop criteria, evaluation, logging,
 * checkpointing, replicas and backend.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRunConfig } from '../../../../../protocol/runConfig';
import { resolveFinetuneConfig } from '../../../../../server/ml/finetune/config';
import { resumeConfig } from '../../../../../server/ml/train/resumeConfig';

type Kind = 'pretraining' | 'fine-tune';

function savedConfig(kind: Kind): Record<string, unknown> {
  if (kind === 'fine-tune') {
    return resolveFinetuneConfig({ task: { train: '/data/train.csv', init: '/models/bert' } }) as never;
  }
  const r = parseRunConfig({});
  assert.ok(r.ok);
  return r.config as never;
}

const at = (config: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);

/** A deep copy of `config` with `dotted` set to `value`. */
function withValue<T>(config: T, dotted: string, value: unknown): T {
  const copy = structuredClone(config);
  const keys = dotted.split('.');
  const last = keys.pop()!;
  (keys.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], copy) as Record<string, unknown>)[last] =
    value;
  return copy;
}

const BOTH: Kind[] = ['pretraining', 'fine-tune'];
// field, a value other than the default, who decides it on resume, and which kinds of run have it
const TABLE: Array<{ field: string; value: unknown; from: 'caller' | 'saved run'; kinds: Kind[] }> = [
  { field: 'training.maxSteps', value: 77, from: 'caller', kinds: BOTH },
  { field: 'training.epochs', value: 9, from: 'caller', kinds: BOTH },
  { field: 'training.timeBudget', value: '5m', from: 'caller', kinds: BOTH },
  { field: 'training.evalEvery', value: 13, from: 'caller', kinds: BOTH },
  { field: 'training.evalBatches', value: 3, from: 'caller', kinds: BOTH },
  { field: 'training.earlyStoppingPatience', value: 4, from: 'caller', kinds: BOTH },
  { field: 'training.maxNonFinite', value: 7, from: 'caller', kinds: BOTH },
  { field: 'training.logEvery', value: 11, from: 'caller', kinds: BOTH },
  { field: 'training.dataParallel', value: 2, from: 'caller', kinds: BOTH },
  { field: 'checkpoint.every', value: 17, from: 'caller', kinds: BOTH },
  { field: 'checkpoint.keepLast', value: 6, from: 'caller', kinds: BOTH },
  { field: 'backend', value: 'cpu', from: 'caller', kinds: BOTH },
  { field: 'threads', value: 3, from: 'caller', kinds: BOTH },
  { field: 'training.lr', value: 0.123, from: 'saved run', kinds: BOTH },
  { field: 'training.batchSize', value: 3, from: 'saved run', kinds: BOTH },
  { field: 'training.seed', value: 99, from: 'saved run', kinds: BOTH },
  { field: 'training.schedule', value: 'constant', from: 'saved run', kinds: BOTH },
  { field: 'training.gradAccumulation', value: 5, from: 'saved run', kinds: BOTH },
  { field: 'logging.tensorboard', value: true, from: 'saved run', kinds: BOTH },
  { field: 'model.preset', value: 'small', from: 'saved run', kinds: ['pretraining'] },
  { field: 'data.seqLen', value: 48, from: 'saved run', kinds: ['pretraining'] },
  { field: 'corpus.include', value: ['**/*.md'], from: 'saved run', kinds: ['pretraining'] },
  { field: 'tokenizer.vocabSize', value: 500, from: 'saved run', kinds: ['pretraining'] },
  { field: 'task.kind', value: 'token', from: 'saved run', kinds: ['fine-tune'] },
  { field: 'task.maxLength', value: 48, from: 'saved run', kinds: ['fine-tune'] },
  { field: 'task.evalEvery', value: 8, from: 'saved run', kinds: ['fine-tune'] },
];

void describe('resumeConfig: what a resume may change', () => {
  for (const row of TABLE) {
    for (const kind of row.kinds) {
      void test(`${kind}: ${row.field} comes from the ${row.from}`, () => {
        const saved = savedConfig(kind);
        assert.notDeepEqual(at(saved, row.field), row.value, 'the row must change the field');
        const asked = withValue(saved, row.field, row.value);
        const before = structuredClone(saved);
        // Once as the caller's change (asked differs), once as the saved run's (saved differs).
        const taken = resumeConfig(saved as never, asked as never);
        const kept = resumeConfig(asked as never, saved as never);
        const expected = row.from === 'caller' ? row.value : at(saved, row.field);
        assert.deepEqual(at(taken, row.field), expected);
        assert.deepEqual(at(kept, row.field), row.from === 'caller' ? at(saved, row.field) : row.value);
        assert.deepEqual(saved, before, 'resumeConfig must not change its inputs');
      });
    }
  }
});
