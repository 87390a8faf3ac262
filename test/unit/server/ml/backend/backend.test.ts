import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo, initBackend, type BackendChoice } from '../../../../../server/ml/backend';
import { findSharedLibrary } from '../../../../../server/ml/backend/cudaProbe';
import { diagnose } from '../../../../../server/ml/backend/diagnose';
import { loadNative } from '../../../../../server/ml/backend/native';
import { doctorCommand, formatDiagnosis } from '../../../../../server/cli/commands/doctor';
import { CliError } from '../../../../../server/cli/command';

void describe('backend selection', () => {
  void test('an unknown choice is rejected with the allowed values', async () => {
    await assert.rejects(
      initBackend({ backend: 'tpu' as BackendChoice }),
      /unknown backend "tpu": use one of auto, webgpu, cuda/,
    );
    assert.equal(getBackendInfo(), undefined);
  });

  void test('an explicit native choice that is not installed fails naming the package to install', async () => {
    const r = loadNative('tensorflow');
    if (r.ok) return; // tfjs-node installed on this machine: nothing to check
    await assert.rejects(
      initBackend({ backend: 'tensorflow' }),
      /@tensorflow\/tfjs-node is not installed.*npm install/,
    );
  });

  void test('reliability: 15 backend fallback — auto picks the best available backend, once, and says why better ones are missing', async () => {
    const info = await initBackend({ threads: 1 });
    assert.equal(tf.getBackend(), info.tfBackend);
    assert.equal(getBackendInfo(), info);
    assert.equal(await initBackend({ backend: 'cpu' }), info, 'chosen once per process');
    assert.ok(info.cores >= 1);
    if (info.name === 'wasm') {
      assert.equal(info.simd, true, 'Node 20 has wasm SIMD');
      assert.ok(info.reasons.some((r) => r.startsWith('tensorflow:')));
      assert.ok(info.reasons.some((r) => r.startsWith('cuda:')));
    }
  });

  void test('doctor reports the backend, candidates and machine (text and JSON)', async () => {
    const d = await diagnose();
    assert.equal(d.backend, getBackendInfo());
    assert.ok(d.candidates.wasm.customKernels.includes('UnsortedSegmentSum'));
    assert.ok(d.machine.totalMemoryBytes > 0);
    const text = formatDiagnosis(d);
    assert.match(text, /^backend: {5}\w+ — /);
    assert.match(text, /tensorflow {2}@tensorflow\/tfjs-node (not )?installed/);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(d)));
  });

  void test('doctor --bench measures the matMul peak; bad options are usage errors', async () => {
    const d = await diagnose({ bench: true });
    assert.ok(d.peak && d.peak.gflops > 0);
    assert.match(formatDiagnosis(d), /matMul peak: [\d.]+ GFLOP\/s .* W1 roofline/);
    for (const argv of [['--threads', '0'], ['--backend', 'tpu'], ['--verbose']]) {
      await assert.rejects(
        doctorCommand.run(argv),
        (e: unknown) => e instanceof CliError && e.exitCode === 2,
      );
    }
  });
});

void describe('shared library lookup', () => {
  const ldconfig = [
    "1234 libs found in cache `/etc/ld.so.cache'",
    '\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8',
    '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0',
    '\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12/lib64/libcudart.so.12',
  ].join('\n');
  const table = [
    { name: 'libcudart.so.11.0', path: '/usr/local/cuda/lib64/libcudart.so.11.0' },
    { name: 'libcudnn.so.8', path: '/usr/lib/x86_64-linux-gnu/libcudnn.so.8' },
    { name: 'libcudnn.so.9', path: undefined },
  ];
  for (const c of table) {
    void test(c.name, () => assert.equal(findSharedLibrary(c.name, ldconfig), c.path));
  }
});
