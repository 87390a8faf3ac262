/** Selection and `mlm doctor` with the WebGPU backend (an adapter exists: the tier runner checked). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo } from '../../server/ml/backend';
import { diagnose } from '../../server/ml/backend/diagnose';
import { hardwareGpuPresence } from '../../server/ml/backend/gpuAdapter';
import { formatDiagnosis } from '../../server/cli/commands/doctor';
import { startWebgpu } from './helpers';

void describe('webgpu backend', () => {
  void test('backend "webgpu" starts on the adapter and names it', async () => {
    const info = await startWebgpu();
    assert.equal(info.name, 'webgpu');
    assert.equal(tf.getBackend(), 'webgpu');
    assert.equal(getBackendInfo(), info);
    assert.ok(info.adapter, 'the adapter is reported');
    assert.match(info.device, new RegExp(`^WebGPU/${info.adapter.api}: `));
    assert.ok(info.adapter.limits.maxStorageBufferBindingSize > 0);
  });

  void test('doctor reports the adapter (vendor, driver, limits, software or not)', async () => {
    const d = await diagnose({ backend: 'webgpu' });
    assert.equal(d.backend.name, 'webgpu');
    const w = d.candidates.webgpu;
    assert.equal(w.installed, true);
    assert.ok(w.probe.ok);
    const text = formatDiagnosis(d);
    assert.match(text, /^backend: {5}webgpu — WebGPU\//);
    assert.match(text, /\ngpu: {9}GPU: .+ · WebGPU\/(Vulkan|Metal|D3D12)\n/);
    assert.match(
      text,
      /webgpu {6}webgpu \(Dawn\) [\d.]+ installed; adapter ".+" \(vendor .*driver ".*"; (Vulkan|Metal|D3D12); (software|hardware)/,
    );
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(d)));
  });

  void test('auto never picks a software adapter, and says why', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'doctor', '--json'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as Awaited<ReturnType<typeof diagnose>>;
    const probe = d.candidates.webgpu.probe;
    assert.ok(probe.ok);
    if (!hardwareGpuPresence().present) {
      // No GPU device file: auto does not load Dawn at all (no driver noise on a wasm run), and says so.
      assert.ok(probe.adapter.software, 'only a software adapter can exist without a GPU device');
      assert.notEqual(d.backend.name, 'webgpu');
      assert.ok(d.backend.reasons.some((x) => /^webgpu: no GPU device on this machine/.test(x)));
      const plain = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          "require('./server/ml/backend').initBackend({}).then((b) => console.log(b.name))",
        ],
        { encoding: 'utf8' },
      );
      assert.equal(plain.status, 0, plain.stderr);
      assert.equal(plain.stdout.trim(), d.backend.name);
      assert.equal(plain.stderr, '', 'auto printed nothing on stderr: Dawn was not loaded');
    } else if (probe.adapter.software) {
      assert.notEqual(d.backend.name, 'webgpu');
      assert.ok(d.backend.reasons.some((x) => /^webgpu: the only adapter is ".+", a software/.test(x)));
    } else {
      assert.equal(d.backend.name, 'webgpu');
    }
  });
});
