import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeMarkdown } from '../../../../protocol/shared/markdown';
import {
  formatEta,
  formatGpuMemory,
  renderStatus,
  type StatusInput,
} from '../../../../extension/status/render';

import { gpuDevice, idle, telemetry } from './statusFixtures';

void describe('renderStatus text and severity', () => {
  const cases: Array<{ name: string; input: StatusInput; text: string; severity?: string }> = [
    {
      name: 'wasm, no GPU',
      input: { connection: 'running', status: idle, gpu: telemetry(null) },
      text: '$(chip) wasm · 2 cores',
    },
    {
      name: 'last run stopped by the user: backend idle, not an error',
      input: { connection: 'running', status: { ...idle, state: 'stopped' }, gpu: telemetry(null) },
      text: '$(chip) wasm · 2 cores',
      severity: 'normal',
    },
    {
      name: 'backend not initialised yet (just after a restart)',
      input: {
        connection: 'running',
        status: { ...idle, backend: '' },
        gpu: telemetry(null, { backend: '' }),
      },
      text: '$(chip) MLM · 2 cores',
    },
    {
      name: 'one core',
      input: { connection: 'running', status: idle, gpu: telemetry(null, { cores: 1, backend: 'cpu' }) },
      text: '$(chip) cpu · 1 core',
    },
    {
      name: 'GPU',
      input: {
        connection: 'running',
        status: { ...idle, backend: 'tensorflow' },
        gpu: telemetry([gpuDevice()]),
      },
      text: '$(chip) GPU 43% · 5.1/80 GB',
    },
    {
      name: 'GPU with [N/A] fields',
      input: {
        connection: 'running',
        status: idle,
        gpu: telemetry([gpuDevice({ utilizationPercent: null, memoryUsedMiB: null })]),
      },
      text: '$(chip) GPU n/a · n/a/80 GB',
    },
    {
      name: 'two GPUs, small total',
      input: {
        connection: 'running',
        status: idle,
        gpu: telemetry([gpuDevice({ memoryTotalMiB: 8 * 1024 }), gpuDevice({ index: 1 })]),
      },
      text: '$(chip) GPU 43% · 5.1/8.0 GB (+1)',
    },
    { name: 'no telemetry yet', input: { connection: 'running', status: idle }, text: '$(chip) wasm' },
    {
      name: 'a Hub model answers hovers: named beside the device',
      input: {
        connection: 'running',
        status: { ...idle, model: { dir: '/c/snap', runId: 'FacebookAI/xlm-roberta-base', source: 'hub' } },
        gpu: telemetry(null),
      },
      text: '$(chip) wasm · 2 cores · $(hubot) FacebookAI/xlm-roberta-base',
    },
    {
      name: 'a long run id is shortened in the middle',
      input: {
        connection: 'running',
        status: {
          ...idle,
          model: {
            dir: '/r/x',
            runId: '20261207-154749-hf-tiny-xlm-roberta-ft-continued',
            step: 9,
            source: 'published',
          },
        },
        gpu: telemetry(null),
      },
      text: '$(chip) wasm · 2 cores · $(hubot) 20261207-154749-…ta-ft-continued',
    },
    {
      name: 'training',
      input: {
        connection: 'running',
        status: { ...idle, state: 'training', runId: 'r1', step: 120, maxSteps: 1000, loss: 3.2071 },
        gpu: telemetry(null),
      },
      text: '$(pulse) step 120/1000 · loss 3.21',
    },
    {
      name: 'training without maxSteps or loss yet',
      input: { connection: 'running', status: { ...idle, state: 'training', step: 0 } },
      text: '$(pulse) step 0',
    },
    {
      name: 'paused',
      input: { connection: 'running', status: { ...idle, state: 'paused', step: 5, maxSteps: 10, loss: 2 } },
      text: '$(debug-pause) paused · step 5/10 · loss 2.00',
    },
    {
      name: 'preparing',
      input: { connection: 'running', status: { ...idle, state: 'preparing', phase: 'training-tokenizer' } },
      text: '$(sync~spin) training-tokenizer',
    },
    {
      name: 'backend error',
      input: {
        connection: 'running',
        status: { ...idle, state: 'error', message: 'boom' },
        gpu: telemetry(null),
      },
      text: '$(warning) wasm · 2 cores',
      severity: 'warning',
    },
    { name: 'starting', input: { connection: 'starting' }, text: '$(loading~spin) MLM starting…' },
    {
      name: 'restarting',
      input: { connection: 'restarting' },
      text: '$(loading~spin) MLM restarting…',
      severity: 'warning',
    },
    {
      name: 'stopped',
      input: { connection: 'stopped', clientMessage: 'crashed 5 times' },
      text: '$(error) MLM stopped',
      severity: 'error',
    },
    { name: 'untrusted', input: { connection: 'untrusted', status: idle }, text: '$(shield) MLM restricted' },
    {
      name: 'remote, idle: the host is named',
      input: { connection: 'running', status: idle, gpu: telemetry(null), remote: 'gpu-box:7000' },
      text: '$(chip) wasm · 2 cores · $(remote) gpu-box:7000',
    },
    {
      name: 'remote, training',
      input: {
        connection: 'running',
        status: { ...idle, state: 'training', step: 3, maxSteps: 9, loss: 2.5 },
        remote: 'gpu-box:7000',
      },
      text: '$(pulse) step 3/9 · loss 2.50 · $(remote) gpu-box:7000',
    },
    {
      name: 'remote, connecting',
      input: { connection: 'starting', remote: '127.0.0.1:7000' },
      text: '$(loading~spin) MLM connecting to 127.0.0.1:7000…',
    },
    {
      name: 'remote, reconnecting after a drop',
      input: { connection: 'restarting', remote: '127.0.0.1:7000' },
      text: '$(loading~spin) MLM reconnecting to 127.0.0.1:7000…',
      severity: 'warning',
    },
    {
      name: 'remote, token refused',
      input: { connection: 'stopped', remote: '127.0.0.1:7000', clientMessage: 'refused the token' },
      text: '$(error) MLM 127.0.0.1:7000 disconnected',
      severity: 'error',
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const view = renderStatus(c.input);
      assert.equal(view.text, c.text);
      assert.equal(view.severity, c.severity ?? 'normal');
      assert.equal(view.command, 'mlm.openDashboard');
    });
  }
});

void describe('renderStatus tooltip', () => {
  void test('remote: names the backend and, when disconnected, links Connect to Remote Backend', () => {
    const view = renderStatus({ connection: 'stopped', remote: 'gpu-box:7000', clientMessage: 'refused' });
    assert.ok(
      view.tooltip.includes(`Remote backend: ${escapeMarkdown('gpu-box:7000 (mlm serve --socket)')}`),
    );
    assert.ok(view.linkedCommands.includes('mlm.connectRemote'));
    assert.ok(!view.linkedCommands.includes('mlm.restartServer'));
  });
  void test('links: dashboard and logs always, stop while a run is active, restart when stopped', () => {
    const idleView = renderStatus({ connection: 'running', status: idle });
    assert.deepEqual(idleView.linkedCommands, ['mlm.openDashboard', 'mlm.showLogs']);
    assert.match(idleView.tooltip, /\[Open Dashboard\]\(command:mlm\.openDashboard\)/);
    const running = renderStatus({ connection: 'running', status: { ...idle, state: 'training', step: 1 } });
    assert.deepEqual(running.linkedCommands, ['mlm.openDashboard', 'mlm.stop', 'mlm.showLogs']);
    // A preparing run (tokenizer training can take minutes) is active too: it can be stopped.
    const preparing = renderStatus({ connection: 'running', status: { ...idle, state: 'preparing' } });
    assert.deepEqual(preparing.linkedCommands, ['mlm.openDashboard', 'mlm.stop', 'mlm.showLogs']);
    const untrusted = renderStatus({ connection: 'untrusted', status: idle });
    assert.ok(untrusted.linkedCommands.includes('workbench.trust.manage'));
    const stopped = renderStatus({ connection: 'stopped' });
    assert.ok(stopped.linkedCommands.includes('mlm.restartServer'));
    for (const v of [idleView, running, stopped, untrusted]) {
      for (const m of v.tooltip.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(v.linkedCommands.includes(m[1]));
    }
  });

  void test('details: backend, device, run, step, ETA, GPU per device, memory', () => {
    const view = renderStatus({
      connection: 'running',
      status: {
        ...idle,
        state: 'training',
        runId: 'run-1',
        step: 120,
        maxSteps: 1000,
        loss: 3.21,
        evalLoss: 3.5,
        etaSeconds: 3725,
      },
      gpu: telemetry([gpuDevice()], { trainerTfMemory: { numTensors: 30, numBytes: 1 } }),
    });
    for (const part of [
      'Backend: wasm',
      'Run: run\\-1',
      'Step: 120 / 1000',
      'ETA: 1h 02m',
      'GPU 0: NVIDIA A100 43% · 5\\.1/80 GB',
      'Tensors: 42',
      'RSS: 300 MB',
    ]) {
      assert.ok(view.tooltip.includes(part), `${part} in:\n${view.tooltip}`);
    }
  });

  void test('the untrusted tooltip explains Restricted Mode; the error tooltip shows the message', () => {
    assert.match(
      renderStatus({ connection: 'untrusted', status: idle }).tooltip,
      /Restricted Mode: training/,
    );
    const err = renderStatus({
      connection: 'running',
      status: { ...idle, state: 'error', message: 'tfjs failed; run doctor' },
    });
    assert.match(err.tooltip, /tfjs failed; run doctor/);
  });

  void test('text from the backend cannot inject links, HTML or codicons', () => {
    const view = renderStatus({
      connection: 'running',
      status: {
        ...idle,
        state: 'error',
        message: '[click](command:workbench.action.quit) <img src=x onerror=alert(1)> $(bug)',
      },
    });
    // Every link that markdown would render (an unescaped "](command:") is one of ours.
    const links = [...view.tooltip.matchAll(/(?<!\\)\]\(command:([\w.]+)/g)].map((m) => m[1]);
    assert.deepEqual(links, ['mlm.openDashboard', 'mlm.showLogs']);
    assert.ok(view.tooltip.includes('\\<img src=x onerror=alert\\(1\\)\\>'), view.tooltip);
    assert.ok(view.tooltip.includes('\\$\\(bug\\)'), view.tooltip);
  });
});

void describe('formatting helpers', () => {
  void test('formatGpuMemory', () => {
    assert.equal(formatGpuMemory(5222, 81920), '5.1/80 GB');
    assert.equal(formatGpuMemory(512, 4096), '0.5/4.0 GB');
    assert.equal(formatGpuMemory(null, null), 'n/a/n/a GB');
  });
  void test('formatEta', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [42.4, '42s'],
      [185, '3m 05s'],
      [3725, '1h 02m'],
      [-3, '0s'],
    ];
    for (const [s, text] of cases) assert.equal(formatEta(s), text);
  });
  void test('escapeMarkdown', () => {
    assert.equal(escapeMarkdown('a_b *c* [d](e)\nf'), 'a\\_b \\*c\\* \\[d\\]\\(e\\) f');
  });
});
