/** mlm/predict's parameter check (server/rpc/finetune.ts): accepted shapes and each rejection naming its field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlmError, MlmErrorCodes } from '../../../../protocol/errors';
import { MAX_PREDICT_TEXTS } from '../../../../protocol/finetune';
import { checkPredictParams, MAX_PREDICT_TEXT } from '../../../../server/rpc/finetune';

void describe('checkPredictParams', () => {
  const good: Array<[string, unknown, unknown]> = [
    [
      'strings',
      { texts: ['a', 'b'] },
      { kind: 'texts', texts: [{ text: 'a' }, { text: 'b' }], model: undefined },
    ],
    [
      'a pair and a model',
      { texts: [{ text: 'a', textPair: 'b' }], model: 'run' },
      { kind: 'texts', texts: [{ text: 'a', textPair: 'b' }], model: 'run' },
    ],
    [
      'a file with a progress token',
      { file: 'in.txt', workDoneToken: 7 },
      { kind: 'file', file: 'in.txt', model: undefined, token: 7 },
    ],
  ];
  for (const [name, params, want] of good)
    void test(`accepts ${name}`, () => assert.deepEqual(checkPredictParams(params), want));

  const bad: Array<[string, unknown, RegExp]> = [
    ['no params', null, /needs params/],
    ['both', { texts: ['a'], file: 'f' }, /exactly one/],
    ['neither', { model: 'x' }, /exactly one/],
    ['empty texts', { texts: [] }, /texts must be an array of 1 to/],
    ['too many texts', { texts: new Array(MAX_PREDICT_TEXTS + 1).fill('a') }, /predict a file for more/],
    ['a blank text', { texts: ['ok', '  '] }, /texts\[1\] must be a non-empty string/],
    ['a number', { texts: [3] }, /texts\[0\]/],
    ['a bad pair', { texts: [{ text: 'a', textPair: 1 }] }, /texts\[0\]\.textPair must be a string/],
    ['a huge text', { texts: ['x'.repeat(MAX_PREDICT_TEXT + 1)] }, /longer than/],
    ['an empty file', { file: '' }, /file must be a non-empty path/],
    ['an empty model', { texts: ['a'], model: '' }, /model must be a path/],
  ];
  for (const [name, params, re] of bad) {
    void test(`rejects ${name}`, () =>
      assert.throws(
        () => checkPredictParams(params),
        (e: unknown) => e instanceof MlmError && e.code === MlmErrorCodes.InvalidParams && re.test(e.message),
      ));
  }
});
