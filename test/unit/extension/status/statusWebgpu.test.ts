import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderStatus, type StatusInput } from '../../../../extension/status/render';
import { gpuDevice, idle, telemetry } from './statusFixtures';

void describe('renderStatus on the webgpu backend', () => {
  const cases: Array<{ name: string; input: StatusInput; text: string }> = [
    {
      name: 'webgpu: the adapter, the API and the GPU memory the backend holds',
      input: {
        connection: 'running',
        status: { ...idle, backend: 'webgpu' },
        gpu: telemetry(null, {
          backend: 'webgpu',
          webgpu: {
            adapter: 'NVIDIA H100 80GB HBM3',
            api: 'Vulkan',
            software: false,
            memoryBytes: 3.1 * 2 ** 30,
          },
        }),
      },
      text: '$(chip) GPU: NVIDIA H100 80GB HBM3 · WebGPU/Vulkan · 3.1 GB',
    },
    {
      name: 'webgpu with nvidia-smi present: the WebGPU text (the smi rows are in the tooltip)',
      input: {
        connection: 'running',
        status: { ...idle, backend: 'webgpu' },
        gpu: telemetry([gpuDevice()], {
          backend: 'webgpu',
          webgpu: { adapter: 'NVIDIA A100', api: 'Vulkan', software: false, memoryBytes: 512 * 2 ** 20 },
        }),
      },
      text: '$(chip) GPU: NVIDIA A100 · WebGPU/Vulkan · 512 MB',
    },
    {
      name: 'webgpu on a software adapter, memory not reported yet',
      input: {
        connection: 'running',
        status: { ...idle, backend: 'webgpu' },
        gpu: telemetry(null, {
          backend: 'webgpu',
          webgpu: { adapter: 'llvmpipe', api: 'Vulkan', software: true },
        }),
      },
      text: '$(chip) GPU: llvmpipe (software) · WebGPU/Vulkan',
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const view = renderStatus(c.input);
      assert.equal(view.text, c.text);
      assert.equal(view.severity, 'normal');
    });
  }

  void test('webgpu: the tooltip names the adapter and its memory, and keeps nvidia-smi rows', () => {
    const webgpu = { adapter: 'NVIDIA A100', api: 'Vulkan', software: false, memoryBytes: 2 ** 30 };
    const view = renderStatus({
      connection: 'running',
      status: { ...idle, backend: 'webgpu' },
      gpu: telemetry([gpuDevice()], { backend: 'webgpu', webgpu }),
    });
    assert.ok(view.tooltip.includes('WebGPU: NVIDIA A100 · WebGPU/Vulkan · 1\\.0 GB'), view.tooltip);
    assert.ok(view.tooltip.includes('GPU 0: NVIDIA A100 43%'), view.tooltip);
    const noSmi = renderStatus({
      connection: 'running',
      gpu: telemetry(null, { backend: 'webgpu', webgpu }),
    });
    assert.ok(!noSmi.tooltip.includes('GPU: n/a'), 'no "n/a" GPU row when WebGPU reports the device');
  });
});
