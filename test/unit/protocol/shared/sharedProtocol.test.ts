/** The type-only part of the protocol (protocol/shared): the helpers every side uses and the lists the schema mirrors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUN_CONFIG_SCHEMA } from '../../../../protocol/runConfig';
import {
  BACKEND_CHOICES,
  EXAMPLE_MODES,
  LR_SCHEDULES,
  TRAINING_RECIPES,
  MODEL_ARCHS,
  MODEL_PRESETS,
  TASK_KINDS,
} from '../../../../protocol/shared/choices';
import { TASK_KINDS as ML_TASK_KINDS } from '../../../../server/ml/finetune/types';
import { escapeMarkdown } from '../../../../protocol/shared/markdown';
import { METRIC_COLUMNS, isMetricRecord } from '../../../../protocol/shared/metrics';
import { isRunActive, type ServerState } from '../../../../protocol/shared/runState';
import { continuationText } from '../../../../protocol/shared/wordpiece';
import { withModelMask } from '../../../../protocol/shared/fillMask';
import { modelLabel, shortModelName } from '../../../../protocol/shared/modelLabel';

void describe('isRunActive', () => {
  const table: Array<[ServerState | undefined, boolean]> = [
    ['preparing', true],
    ['training', true],
    ['paused', true],
    ['idle', false],
    ['error', false],
    ['stopped', false],
    [undefined, false],
  ];
  for (const [state, active] of table) {
    void test(`${state ?? 'no status'} → ${active}`, () => assert.equal(isRunActive(state), active));
  }
});

void describe('the "##" continuation rule', () => {
  const table: Array<[string, string | undefined]> = [
    ['##ing', 'ing'],
    ['##s', 's'],
    ['###', '#'],
    ['####', '##'],
    ['##', undefined], // a bare "##" has no text after the prefix: it stands for itself
    ['#', undefined],
    ['', undefined],
    ['cat', undefined],
    ['a##b', undefined],
  ];
  for (const [token, piece] of table) {
    void test(JSON.stringify(token), () => assert.equal(continuationText(token), piece));
  }
});

void describe('escapeMarkdown', () => {
  const table: Array<[string, string]> = [
    ['a_b *c* [d](e)\nf', 'a\\_b \\*c\\* \\[d\\]\\(e\\) f'],
    ['a*b_c`d', 'a\\*b\\_c\\`d'],
    ['x\r\ny', 'x y'],
    ['|<b>', '\\|\\<b\\>'],
    ['# run-1. $5 & ~!+', '\\# run\\-1\\. \\$5 \\& \\~\\!\\+'],
    ['plain words 42', 'plain words 42'],
  ];
  for (const [text, want] of table) {
    void test(JSON.stringify(text), () => assert.equal(escapeMarkdown(text), want));
  }
});

void describe('metric rows', () => {
  const row = { split: 'train', step: 1, epoch: 0, time: 5, loss: 2.5 };
  void test('every column of METRIC_COLUMNS is checked by the guard', () => {
    for (const k of Object.keys(METRIC_COLUMNS)) {
      assert.equal(isMetricRecord({ ...row, [k]: 0.5 }), true, k);
      assert.equal(isMetricRecord({ ...row, [k]: null }), true, `${k}: null`);
      assert.equal(isMetricRecord({ ...row, [k]: '0.5' }), false, `${k}: a string`);
    }
  });
  void test('fields outside the list are not checked (newer trainers may add columns)', () => {
    assert.equal(isMetricRecord({ ...row, somethingNew: 'x' }), true);
  });
});

void describe('the run-config schema lists the named choices', () => {
  const props = (
    RUN_CONFIG_SCHEMA as { properties: Record<string, { properties?: Record<string, unknown> }> }
  ).properties;
  const enumOf = (s: unknown): unknown => (s as { enum: unknown[] }).enum;
  const table: Array<[string, unknown, readonly string[]]> = [
    ['backend', enumOf(props.backend), BACKEND_CHOICES],
    ['model.arch', enumOf(props.model.properties!.arch), MODEL_ARCHS],
    ['model.preset', enumOf(props.model.properties!.preset), MODEL_PRESETS],
    ['training.schedule', enumOf(props.training.properties!.schedule), LR_SCHEDULES],
    ['training.recipe', enumOf(props.training.properties!.recipe), TRAINING_RECIPES],
    ['data.mode', enumOf(props.data.properties!.mode), EXAMPLE_MODES],
    ['task.kind', enumOf(props.task.properties!.kind), TASK_KINDS],
    ["server/ml/finetune's TaskKind", ML_TASK_KINDS, TASK_KINDS],
  ];
  for (const [field, schemaEnum, list] of table) {
    void test(field, () => assert.deepEqual(schemaEnum, [...list]));
  }
});

void describe('withModelMask: both spellings of the mask, offsets unchanged', () => {
  const table: Array<[string, string, string]> = [
    ['The [MASK] and <mask>.', '<mask>', 'The <mask> and <mask>.'],
    ['The [MASK] and <mask>.', '[MASK]', 'The [MASK] and [MASK].'],
    ['no mask', '<mask>', 'no mask'],
    ['[mask] is not a mask', '<mask>', '[mask] is not a mask'],
  ];
  for (const [text, model, out] of table) {
    void test(`${text} → ${model}`, () => {
      assert.equal(withModelMask(text, model), out);
      assert.equal(withModelMask(text, model).length, text.length);
    });
  }
});

void describe('model names', () => {
  const table: Array<[Parameters<typeof modelLabel>[0], string, string]> = [
    [{ dir: '/c/s', runId: 'org/tiny-roberta' }, 'org/tiny-roberta', 'org/tiny-roberta'],
    [{ dir: '/runs/r1/checkpoints/step-9', runId: 'r1', step: 9 }, 'r1 @ step 9', 'r1'],
    [{ dir: '/models/my-bert/' }, 'my-bert', 'my-bert'],
    [
      { dir: '/r', runId: 'x'.repeat(20) + 'y'.repeat(20) },
      'x'.repeat(20) + 'y'.repeat(20),
      `${'x'.repeat(16)}…${'y'.repeat(15)}`,
    ],
  ];
  for (const [m, label, short] of table) {
    void test(label, () => {
      assert.equal(modelLabel(m), label);
      assert.equal(shortModelName(m), short);
      assert.ok(shortModelName(m).length <= 32);
    });
  }
});
