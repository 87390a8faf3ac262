import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatGpuDevice } from '../../../protocol/status';
import { DEFAULT_SETTINGS, parseServerSettings } from '../../../protocol/settings';
import { isHostToWebviewMessage, isWebviewToHostMessage } from '../../../protocol/webview';
import { parseTransport } from '../../../server/rpc/transport';

void describe('parseServerSettings', () => {
  void test('defaults for nothing', () => {
    for (const raw of [undefined, null, 42, {}, { mlm: {} }]) {
      assert.deepEqual(parseServerSettings(raw), { settings: DEFAULT_SETTINGS, errors: [] });
    }
  });
  void test('valid values, nested under mlm or not', () => {
    const hover = {
      maskToken: '<mask>',
      languages: ['plaintext'],
      topK: 3,
      jointCompletions: 0,
      targets: ['good', 'bad'],
    };
    for (const raw of [{ hover }, { mlm: { hover } }]) {
      assert.deepEqual(parseServerSettings(raw).settings.hover, hover);
    }
  });
  void test('inference deadlines in seconds', () => {
    const inference = { deadlineSeconds: 0.5, watchdogSeconds: 2 };
    assert.deepEqual(parseServerSettings({ mlm: { inference } }).settings.inference, inference);
  });
  const bad: Array<[unknown, RegExp]> = [
    [{ hover: { topK: 0 } }, /mlm\.hover\.topK must be an integer in 1\.\.20, got 0; using 5/],
    [{ hover: { maskToken: 'a b' } }, /mlm\.hover\.maskToken must be/],
    [{ hover: { languages: 'markdown' } }, /mlm\.hover\.languages must be an array/],
    [
      { inference: { deadlineSeconds: 0 } },
      /mlm\.inference\.deadlineSeconds must be a number of seconds in 0\.1\.\.600, got 0; using 5/,
    ],
    [
      { inference: { watchdogSeconds: '60' } },
      /mlm\.inference\.watchdogSeconds must be a number of seconds in 1\.\.3600/,
    ],
    [{ hover: { jointCompletions: 11 } }, /mlm\.hover\.jointCompletions must be an integer in 0\.\.10/],
    [{ hover: { targets: ['two words'] } }, /mlm\.hover\.targets must be an array of at most 1000 words/],
    [{ telemetry: { gpuPollSeconds: 0.5 } }, /gpuPollSeconds must be a number of seconds in 1\.\.3600/],
    [{ corpus: { include: [1] } }, /mlm\.corpus\.include must be an array of glob patterns/],
  ];
  for (const [raw, re] of bad) {
    void test(`rejects ${JSON.stringify(raw)}`, () => {
      const r = parseServerSettings(raw);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0], re);
    });
  }
});

void describe('webview message guards', () => {
  const rec = { split: 'train', step: 1, epoch: 0, time: 5, loss: 2.5 };
  const toHost: Array<[unknown, boolean]> = [
    [{ type: 'ready' }, true],
    [{ type: 'stop' }, true],
    [{ type: 'fillMask', requestId: 1, text: 'a [MASK]' }, true],
    [{ type: 'fillMask', requestId: 1, text: 'a [MASK]', topK: 51 }, false],
    [{ type: 'fillMask', requestId: 1, text: 'a [MASK]', targets: ['good'], beam: 3 }, true],
    [{ type: 'fillMask', requestId: 1, text: 'a [MASK]', targets: [''] }, false],
    [{ type: 'fillMask', requestId: 1, text: 'a [MASK]', beam: 17 }, false],
    [{ type: 'fillMask', requestId: 1, text: '' }, false],
    [{ type: 'fillMask', requestId: '1', text: 'x' }, false],
    [{ type: 'fillMask', requestId: 1, text: 'x'.repeat(10_001) }, false],
    [{ type: 'selectRuns', runIds: ['a', 'b'] }, true],
    [{ type: 'selectRuns', runIds: [1] }, false],
    [{ type: 'runCommand', command: 'rm -rf' }, false],
    [null, false],
    ['stop', false],
  ];
  for (const [m, ok] of toHost) {
    void test(`webview→host ${JSON.stringify(m)?.slice(0, 60)} → ${ok}`, () =>
      assert.equal(isWebviewToHostMessage(m), ok));
  }
  const toWebview: Array<[unknown, boolean]> = [
    [{ type: 'metrics', runId: 'r', records: [rec] }, true],
    [{ type: 'metrics', runId: 'r', records: [{ ...rec, loss: 'x' }] }, false],
    [{ type: 'metrics', runId: 'r', records: [{ ...rec, split: 'test' }] }, false],
    [{ type: 'metrics', runId: 'r', records: [{ ...rec, loss: NaN }] }, true],
    [{ type: 'history', runs: [{ runId: 'r', records: [rec] }] }, true],
    [{ type: 'status', status: { state: 'idle' } }, true],
    [{ type: 'gpu', gpu: { time: 1, gpus: null } }, true],
    [{ type: 'gpu', gpu: { time: 1, gpus: 'none' } }, false],
    [{ type: 'fillMaskResult', requestId: 2, error: 'no model' }, true],
    [{ type: 'runs', runs: [{ runId: 'r' }], selected: ['r'] }, true],
    [{ type: 'runs', runs: [{}], selected: [] }, false],
    [{ type: 'eval', code: '1' }, false],
  ];
  for (const [m, ok] of toWebview) {
    void test(`host→webview ${JSON.stringify(m).slice(0, 60)} → ${ok}`, () =>
      assert.equal(isHostToWebviewMessage(m), ok));
  }
});

void describe('parseTransport', () => {
  const table: Array<[string[], unknown]> = [
    [['--stdio'], { kind: 'stdio' }],
    [['--node-ipc', '--clientProcessId=1'], { kind: 'node-ipc' }],
    [['--socket', '7000'], { kind: 'socket', port: 7000, host: '127.0.0.1', roots: [] }],
    [['--socket=7000', '--host', '0.0.0.0'], { kind: 'socket', port: 7000, host: '0.0.0.0', roots: [] }],
    [['--socket', '0'], { kind: 'socket', port: 0, host: '127.0.0.1', roots: [] }],
    [
      ['--socket', '0', '--token-file', '/t', '--workspace=/w', '--root', '/a', '--root=/b'],
      { kind: 'socket', port: 0, host: '127.0.0.1', roots: ['/a', '/b'], tokenFile: '/t', workspace: '/w' },
    ],
    [['--socket', '0', '--token-file='], /--token-file needs a path/],
    [['--socket', '0', '--root'], /--root needs a folder/],
    [['--socket', 'x'], /--socket needs a port number in 0\.\.65535 \(0 = any free port\), got "x"/],
    [['--socket', '70000'], /port number/],
    [[], /no transport given/],
    [['--stdio', '--node-ipc'], /choose one transport/],
  ];
  for (const [argv, want] of table) {
    void test(argv.join(' ') || '(none)', () => {
      if (want instanceof RegExp) assert.throws(() => parseTransport(argv), want);
      else assert.deepEqual(parseTransport(argv), want);
    });
  }
});

void test('formatGpuDevice', () => {
  const d = {
    index: 0,
    name: 'A100',
    utilizationPercent: 43,
    memoryUsedMiB: 5222,
    memoryTotalMiB: 81920,
    temperatureC: 61,
  };
  assert.equal(formatGpuDevice(d), 'A100 43% · 5.1/80.0 GB · 61°C');
  assert.equal(
    formatGpuDevice({ ...d, utilizationPercent: null, memoryUsedMiB: null, temperatureC: null }),
    'A100 n/a · n/a/80.0 GB',
  );
});
