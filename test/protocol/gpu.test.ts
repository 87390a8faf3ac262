/**
 * GPU telemetry against a fake nvidia-smi on PATH: normal output, [N/A] fields, a failing driver, a hang, and no
 * nvidia-smi at all → the right mlm/gpu values or "n/a" with the reason, and the backend keeps answering.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GpuTelemetry, ServerStatus } from '../../protocol/status';
import { ensureBuilt, initialize, spawnServer, stopServer } from './harness';

/** A folder holding an executable `nvidia-smi` shell script with this body; it appends a line to calls.log per run. */
function fakeSmi(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-smi-'));
  const log = path.join(dir, 'calls.log');
  fs.writeFileSync(path.join(dir, 'nvidia-smi'), `#!/bin/sh\necho "$@" >> '${log}'\n${body}\n`, {
    mode: 0o755,
  });
  return dir;
}

const scenarios: Array<{
  name: string;
  body?: string;
  check(t: GpuTelemetry): void;
}> = [
  {
    name: 'normal output',
    body: "echo 'NVIDIA A100-SXM4-80GB, 43, 5120, 81920, 61'",
    check: (t) => {
      assert.deepEqual(t.gpus, [
        {
          index: 0,
          name: 'NVIDIA A100-SXM4-80GB',
          utilizationPercent: 43,
          memoryUsedMiB: 5120,
          memoryTotalMiB: 81920,
          temperatureC: 61,
        },
      ]);
      assert.equal(t.gpuMessage, '');
    },
  },
  {
    name: '[N/A] fields',
    body: "echo 'Tesla T4, [N/A], 300, 15360, [N/A]'",
    check: (t) => {
      assert.equal(t.gpus?.[0].utilizationPercent, null);
      assert.equal(t.gpus?.[0].temperatureC, null);
      assert.equal(t.gpus?.[0].memoryUsedMiB, 300);
    },
  },
  {
    name: 'non-zero exit',
    body: 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9',
    check: (t) => {
      assert.equal(t.gpus, null);
      assert.match(
        t.gpuMessage,
        /^no GPU: wasm on \d+ cores? \(nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed/,
      );
    },
  },
  {
    name: 'reliability: 16 nvidia-smi faults — a 10 s hang hits the timeout',
    body: `exec '${process.execPath}' -e 'setTimeout(() => {}, 10000)'`,
    check: (t) => {
      assert.equal(t.gpus, null);
      assert.match(t.gpuMessage, /nvidia-smi did not answer within 300 ms/);
    },
  },
  {
    name: 'no nvidia-smi on PATH',
    check: (t) => {
      assert.equal(t.gpus, null);
      assert.match(t.gpuMessage, /nvidia-smi not found on PATH/);
    },
  },
];

void describe('mlm/gpu with a fake nvidia-smi', { timeout: 60_000 }, () => {
  const dirs: string[] = [];
  void before(() => ensureBuilt());
  void after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  for (const sc of scenarios) {
    void test(sc.name, async () => {
      const dir =
        sc.body === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-nosmi-')) : fakeSmi(sc.body);
      dirs.push(dir);
      const s = spawnServer({
        env: {
          PATH: dir, // only the fake (the server itself is started by absolute path)
          MLM_NVIDIA_SMI_TIMEOUT_MS: '300',
          MLM_NVIDIA_SMI_BACKOFF_MS: '60000',
          MLM_GPU_POLL_MS: '50',
        },
      });
      await initialize(s, null);
      const first = await s.notes.next<GpuTelemetry>('mlm/gpu');
      sc.check(first);
      assert.equal(first.backend, 'wasm');
      assert.ok(first.rssBytes > 0 && first.cores > 0);
      assert.equal(typeof first.tfMemory.numTensors, 'number');
      // Later samples keep coming; after a failure they reuse the reading without running nvidia-smi again.
      await s.notes.next<GpuTelemetry>('mlm/gpu', (t) => t.time > first.time);
      await s.notes.next<GpuTelemetry>('mlm/gpu', (t) => t.time > first.time, s.notes.of('mlm/gpu').length);
      const st = await s.conn.sendRequest<ServerStatus>('mlm/status');
      assert.equal(st.state, 'idle');
      await stopServer(s);
      if (sc.body !== undefined) {
        // The backend's CUDA probe also runs nvidia-smi once (another query); count the telemetry polls.
        const calls = fs
          .readFileSync(path.join(dir, 'calls.log'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('utilization.gpu'));
        assert.equal(
          calls[0],
          '--query-gpu=name,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader,nounits',
        );
        if (first.gpus === null)
          assert.equal(calls.length, 1, 'backed off: no second nvidia-smi within the back-off');
      }
    });
  }
});
