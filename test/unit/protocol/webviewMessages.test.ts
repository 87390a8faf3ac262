import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WEBVIEW_LIMITS, isHostToWebviewMessage, isWebviewToHostMessage } from '../../../protocol/webview';

void describe('reliability: 24 webview message fuzz — webview → host message guard (what the dashboard panel accepts)', () => {
  const accepted: unknown[] = [
    { type: 'ready' },
    { type: 'stop' },
    { type: 'fillMask', requestId: 1, text: 'a [MASK]', topK: 5 },
    { type: 'selectRuns', runIds: ['a', 'b'] },
    { type: 'exportCsv', runId: '2026-12-07-run' },
  ];
  const rejected: Array<[string, unknown]> = [
    ['null', null],
    ['string', 'stop'],
    ['array', [{ type: 'stop' }]],
    ['unknown type', { type: 'runCommand', command: 'workbench.action.quit' }],
    ['missing type', { text: 'x' }],
    ['fillMask without id', { type: 'fillMask', text: 'x' }],
    ['fillMask with a non-integer id', { type: 'fillMask', requestId: 1.5, text: 'x' }],
    ['fillMask empty text', { type: 'fillMask', requestId: 1, text: '' }],
    [
      'fillMask text too long',
      { type: 'fillMask', requestId: 1, text: 'x'.repeat(WEBVIEW_LIMITS.maxText + 1) },
    ],
    ['fillMask topK 0', { type: 'fillMask', requestId: 1, text: 'x', topK: 0 }],
    ['fillMask topK string', { type: 'fillMask', requestId: 1, text: 'x', topK: '5' }],
    ['selectRuns not an array', { type: 'selectRuns', runIds: 'a' }],
    [
      'selectRuns too many',
      { type: 'selectRuns', runIds: Array.from({ length: WEBVIEW_LIMITS.maxRuns + 1 }, (_, i) => `r${i}`) },
    ],
    ['selectRuns id too long', { type: 'selectRuns', runIds: ['x'.repeat(WEBVIEW_LIMITS.maxIdLength + 1)] }],
    ['selectRuns non-string id', { type: 'selectRuns', runIds: [1] }],
    ['exportCsv without a run', { type: 'exportCsv' }],
    ['exportCsv empty run id', { type: 'exportCsv', runId: '' }],
    ['exportCsv id too long', { type: 'exportCsv', runId: 'x'.repeat(WEBVIEW_LIMITS.maxIdLength + 1) }],
  ];
  for (const m of accepted)
    void test(`accepts ${JSON.stringify(m)}`, () => assert.equal(isWebviewToHostMessage(m), true));
  for (const [name, m] of rejected)
    void test(`rejects ${name}`, () => assert.equal(isWebviewToHostMessage(m), false));
});

void describe('host → webview message guard (what the dashboard draws)', () => {
  const rec = { split: 'train', step: 1, epoch: 0, time: 0, loss: 2 };
  void test('accepts metrics and history; rejects rows of the wrong shape', () => {
    assert.equal(isHostToWebviewMessage({ type: 'metrics', runId: 'r', records: [rec] }), true);
    assert.equal(
      isHostToWebviewMessage({
        type: 'history',
        runs: [{ runId: 'r', records: [rec, { ...rec, split: 'eval' }] }],
      }),
      true,
    );
    assert.equal(
      isHostToWebviewMessage({ type: 'metrics', runId: 'r', records: [{ ...rec, split: 'test' }] }),
      false,
    );
    assert.equal(
      isHostToWebviewMessage({ type: 'metrics', runId: 'r', records: [{ ...rec, lr: '0.1' }] }),
      false,
    );
    assert.equal(
      isHostToWebviewMessage({ type: 'metrics', runId: 'r', records: [{ ...rec, maskRate: 'x' }] }),
      false,
    );
    assert.equal(isHostToWebviewMessage({ type: 'metrics', runId: '', records: [] }), false);
    assert.equal(isHostToWebviewMessage({ type: 'html', html: '<script>' }), false);
  });
});
