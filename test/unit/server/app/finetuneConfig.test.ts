/**
 * A run config with a task section → runFinetune's config (server/app/finetuneConfig.ts): fine-tuning's defaults for
 * what the user left out (not the schema's pretraining defaults), the user's own training fields kept, paths resolved
 * against the workspace, and a missing file or a bad value as an InvalidRunConfig error naming it. Also where
 * mlm/predict writes a file's predictions (server/app/taskModel.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import { parseRunConfig, type ResolvedRunConfig, type RunConfigTask } from '../../../../protocol/runConfig';
import { finetuneConfigOf } from '../../../../server/app/finetuneConfig';
import { predictionsFileOf } from '../../../../server/app/taskModel';

void describe('finetuneConfigOf', () => {
  let root: string;
  void before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-ftcfg-'));
    fs.writeFileSync(path.join(root, 'train.csv'), 'text,label\na,x\nb,y\n');
    fs.mkdirSync(path.join(root, 'model'));
  });
  void after(() => fs.rmSync(root, { recursive: true, force: true }));

  const resolve = (raw: Record<string, unknown>) => {
    const r = parseRunConfig(raw);
    if (!r.ok) throw new Error(r.errors.join('; '));
    return finetuneConfigOf(raw, r.config as ResolvedRunConfig & { task: RunConfigTask }, root, 'test');
  };

  void test("fields left out take fine-tuning's defaults, not pretraining's", () => {
    const c = resolve({ task: { train: 'train.csv', init: 'model' } });
    assert.equal(c.training.lr, 5e-5);
    assert.equal(c.training.epochs, 3);
    assert.equal(c.training.warmupRatio, 0.1);
    assert.equal(c.task.kind, 'classification');
    assert.equal(c.task.maxLength, 128);
    assert.equal(c.task.train, path.join(root, 'train.csv'));
    assert.equal(c.task.init, path.join(root, 'model'));
    assert.equal(c.task.eval, null);
  });

  void test('the fields the user wrote are kept', () => {
    const c = resolve({
      task: { train: 'train.csv', init: 'model', kind: 'multilabel', threshold: 0.3, eval: 'train.csv' },
      training: { lr: 1e-3, maxSteps: 7, batchSize: 4 },
      checkpoint: { keepLast: 5 },
      backend: 'cpu',
      threads: 1,
    });
    assert.equal(c.task.kind, 'multilabel');
    assert.equal(c.task.threshold, 0.3);
    assert.equal(c.task.eval, path.join(root, 'train.csv'));
    assert.equal(c.training.lr, 1e-3);
    assert.equal(c.training.maxSteps, 7);
    assert.equal(c.training.batchSize, 4);
    assert.equal(c.training.epochs, null, 'maxSteps given: no default epochs');
    assert.equal(c.checkpoint.keepLast, 5);
    assert.equal(c.backend, 'cpu');
    assert.equal(c.threads, 1);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'missing train file',
      { task: { train: 'nope.csv', init: 'model' } },
      /task\.train .*nope\.csv does not exist/,
    ],
    [
      'missing init folder',
      { task: { train: 'train.csv', init: 'gone' } },
      /task\.init .*gone does not exist/,
    ],
    [
      'missing eval file',
      { task: { train: 'train.csv', init: 'model', eval: 'e.csv' } },
      /task\.eval .*e\.csv/,
    ],
    [
      'class weights for regression',
      { task: { train: 'train.csv', init: 'model', kind: 'regression', classWeights: 'balanced' } },
      /class weights are for classification/,
    ],
  ];
  for (const [name, raw, re] of bad) {
    void test(`rejects ${name} as InvalidRunConfig`, () => {
      assert.throws(
        () => resolve(raw),
        (e: unknown) =>
          e instanceof MlmError &&
          e.code === MlmErrorCodes.InvalidRunConfig &&
          re.test(e.message) &&
          (e.data as { errors: string[] }).errors.length > 0,
      );
    });
  }
});

void describe('predictionsFileOf', () => {
  const cases: Array<[string, string]> = [
    ['/w/comments.txt', '/w/comments.predictions.jsonl'],
    ['/w/in.jsonl', '/w/in.predictions.jsonl'],
    ['/w/notes', '/w/notes.predictions.jsonl'],
    ['/w/a.b.md', '/w/a.b.predictions.jsonl'],
  ];
  for (const [input, output] of cases) void test(input, () => assert.equal(predictionsFileOf(input), output));
});
