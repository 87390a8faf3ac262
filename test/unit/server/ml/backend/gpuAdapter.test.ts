import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  describeAdapter,
  formatAdapter,
  hardwareGpuPresence,
  webgpuDeviceLabel,
} from '../../../../../server/ml/backend/gpuAdapter';
import { probeWebgpu } from '../../../../../server/ml/backend/webgpu';

/** An adapter as Dawn reports it (info + limits + features), for the classification only. */
function adapter(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): GPUAdapter {
  return {
    info: { vendor: '', architecture: '', device: '', description: '', ...info },
    limits: {
      maxBufferSize: 2 ** 32 - 1,
      maxStorageBufferBindingSize: 2 ** 27,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 1024,
    },
    features: new Set(['timestamp-query']),
  } as unknown as GPUAdapter;
}

void describe('webgpu adapter report', () => {
  const table = [
    {
      info: { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' },
      software: true,
      name: 'llvmpipe',
    },
    {
      info: { vendor: 'google', device: 'SwiftShader Device (Subzero)' },
      software: true,
      name: 'SwiftShader Device (Subzero)',
    },
    {
      info: { vendor: 'microsoft', description: 'Microsoft Basic Render Driver' },
      software: true,
      name: 'Microsoft Basic Render Driver',
    },
    {
      info: { vendor: 'x', description: 'Some GPU', isFallbackAdapter: true },
      software: true,
      name: 'Some GPU',
    },
    {
      info: { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' },
      software: false,
      name: 'NVIDIA H100 80GB HBM3',
    },
    {
      info: { vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' },
      software: false,
      name: 'Apple M2',
    },
  ];
  for (const c of table) {
    void test(`${c.name}: ${c.software ? 'software' : 'hardware'}`, () => {
      const r = describeAdapter(adapter(c.info));
      assert.equal(r.software, c.software);
      assert.equal(r.name, c.name);
      assert.deepEqual(r.features, ['timestamp-query']);
      assert.match(
        formatAdapter(r),
        c.software ? /software \(on the CPU: never picked by auto\)/ : /; hardware;/,
      );
      assert.match(formatAdapter(r), /storage binding 128 MB, workgroup memory 32 KB, 1024 invocations$/);
      assert.equal(webgpuDeviceLabel(r).endsWith('(software adapter, slow)'), c.software);
    });
  }
});

void describe('auto probes WebGPU only where a hardware GPU can be (no Dawn, no driver noise elsewhere)', () => {
  const table: { name: string; platform: NodeJS.Platform; files: string[]; present: boolean }[] = [
    {
      name: 'Linux container without a GPU',
      platform: 'linux',
      files: ['null', 'shm/', 'dri/card0'],
      present: false,
    },
    {
      name: 'Linux with a DRM render node',
      platform: 'linux',
      files: ['dri/card0', 'dri/renderD128'],
      present: true,
    },
    {
      name: 'Linux with the NVIDIA driver only',
      platform: 'linux',
      files: ['nvidiactl', 'nvidia0'],
      present: true,
    },
    {
      name: 'Linux with nvidiactl only',
      platform: 'linux',
      files: ['nvidiactl', 'nvidia-uvm'],
      present: false,
    },
    { name: 'WSL', platform: 'linux', files: ['dxg'], present: true },
    { name: 'macOS (Metal)', platform: 'darwin', files: [], present: true },
    { name: 'Windows (D3D12)', platform: 'win32', files: [], present: true },
  ];
  for (const c of table) {
    void test(`${c.name}: ${c.present ? 'probed' : 'not probed'}`, () => {
      const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-dev-'));
      try {
        for (const f of c.files) {
          const p = path.join(dev, f);
          fs.mkdirSync(path.dirname(p), { recursive: true });
          if (f.endsWith('/')) fs.mkdirSync(p, { recursive: true });
          else fs.writeFileSync(p, '');
        }
        const r = hardwareGpuPresence(c.platform, dev);
        assert.equal(r.present, c.present);
        if (!r.present)
          assert.match(r.reason, /no GPU device on this machine .*`--backend webgpu` to try anyway/);
      } finally {
        fs.rmSync(dev, { recursive: true, force: true });
      }
    });
  }
});

void describe('Dawn inside Electron (docs/compute.md, "Where Dawn loads")', () => {
  void test('probeWebgpu declines under Electron before loading Dawn, naming the cause and the fix', async () => {
    Object.defineProperty(process.versions, 'electron', { value: '34.2.0', configurable: true });
    try {
      const r = await probeWebgpu();
      assert.equal(r.ok, false);
      assert.match(
        (r as { reason: string }).reason,
        /^Dawn cannot run inside Electron 34\.2\.0 .*memory cage.*system Node ≥ 20.*mlm\.server\.runtime$/,
      );
    } finally {
      delete (process.versions as Record<string, string | undefined>).electron;
    }
  });
});
