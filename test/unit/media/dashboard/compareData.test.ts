import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunDetailsRequest } from '../../../../protocol/training';
import { isHostToWebviewMessage, isWebviewToHostMessage } from '../../../../protocol/webview';
import { metricRows, settingRows } from '../../../../media/dashboard/compareData';

const details = (
  runId: string,
  config: Record<string, unknown> | null,
  extra = {},
): RunDetailsRequest.Result =>
  ({
    run: { runId, dir: `/r/${runId}`, status: 'completed', step: 100, bestEvalLoss: 3.14159, ...extra },
    config,
    checkpoints: [{ step: 100, dir: `/r/${runId}/checkpoints/step-100`, best: true }],
  }) as unknown as RunDetailsRequest.Result;

void describe('Compare Runs rows', () => {
  const a = details('a', { model: { preset: 'tiny', overrides: {} }, training: { lr: 0.001, batchSize: 8 } });
  const b = details(
    'b',
    { model: { preset: 'tiny', overrides: {} }, training: { lr: 0.003, batchSize: 8 }, seed: 2 },
    {
      bestEvalAccuracy: 0.25,
    },
  );

  void test('every setting as a dotted path, differing ones marked, missing ones "—"', () => {
    const rows = settingRows([a, b]);
    assert.deepEqual(
      rows.map((r) => [r.key, r.values, r.differs]),
      [
        ['model.preset', ['tiny', 'tiny'], false],
        ['training.lr', ['0.001', '0.003'], true],
        ['training.batchSize', ['8', '8'], false],
        ['seed', ['—', '2'], true],
      ],
    );
  });

  void test('final metrics side by side', () => {
    const rows = new Map(metricRows([a, b]).map((r) => [r.key, r]));
    assert.deepEqual(rows.get('best validation loss')?.values, ['3.142', '3.142']);
    assert.equal(rows.get('best validation loss')?.differs, false);
    assert.deepEqual(rows.get('best validation accuracy')?.values, ['—', '25%']);
    assert.equal(rows.get('best validation accuracy')?.differs, true);
  });

  void test('a run without a readable config compares as all "—"', () => {
    const rows = settingRows([a, details('c', null)]);
    assert.ok(rows.every((r) => r.values[1] === '—' && r.differs));
  });

  void test('webview messages: compareRuns needs 2+ ids; comparison carries run details', () => {
    assert.equal(isWebviewToHostMessage({ type: 'compareRuns', runIds: ['a', 'b'] }), true);
    assert.equal(isWebviewToHostMessage({ type: 'compareRuns', runIds: ['a'] }), false);
    assert.equal(isWebviewToHostMessage({ type: 'compareRuns', runIds: ['a', 1] }), false);
    assert.equal(isHostToWebviewMessage({ type: 'comparison', runs: [a, b] }), true);
    assert.equal(isHostToWebviewMessage({ type: 'comparison', runs: [{ run: {} }] }), false);
  });
});
