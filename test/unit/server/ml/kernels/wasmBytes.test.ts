import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import '../../../../../server/ml/kernels/fusedAdamW';
import '../../../../../server/ml/kernels/gelu';
import '../../../../../server/ml/kernels/layerNormSimd';
import '../../../../../server/ml/kernels/smallGemm';
import '../../../../../server/ml/kernels/squaredNorm';
import { wasmModules } from '../../../../../server/ml/kernels/wasmModule';

/**
 * SHA-256 of every hand-built SIMD module, for a memory that is not shared and one that is. A change to a
 * kernel's instructions changes its hash: review the new code, check its tests, then update the hash here.
 * A refactor of how the modules are written must leave every hash as it is.
 */
const expected: Record<string, { plain: string; shared: string }> = {
  adamw: {
    plain: '1a839d908b82c78bc3ffa5f4768321f099dd76e8040938dfd98f32e6d178229a',
    shared: '38e6cc05e1d02fff80f092276ea1401d07935204ba63cb3f141fc0c18faee7a3',
  },
  gelu: {
    plain: 'b0bf1d3e90ce9fc9e3695fe5d5968bb1cbdabfa29ca8558ce8912e9c724f3ee9',
    shared: '0e9595ce35704dc9f9e877125137dd6746cdc8c77f1178a983171dc3d123c98a',
  },
  layerNorm: {
    plain: 'c57a7d318eeb6605af26efa1402d739a1cfbcb1add68a83747b632f1118ffe51',
    shared: '0cf0e9d7abd1ddb371177df8c29c3796586dd59f5e51e2ca599d7b54d37e724a',
  },
  squaredNorm: {
    plain: 'c4233edeb85931d646e233ee877c663126ed5ff85bd57630f5246223222c86e2',
    shared: '82c15c4efd1153af056ae8c34e8d3e41f48e7ba9856a5eb5c73835f5179737d4',
  },
  smallGemm: {
    plain: 'fd4bbd5a0e2a01c545f44ddfa97bdfe1b8f2a3d163fe18cbfac2421669695bd8',
    shared: 'e295fd819f9f46df02ac945dd8060718e34e3f203911d9a14d1bcbdc3dd24ee5',
  },
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

void describe('hand-built WebAssembly modules', () => {
  void test('every module has an expected hash', () => {
    assert.deepEqual([...wasmModules.keys()].sort(), Object.keys(expected).sort());
  });
  for (const [name, want] of Object.entries(expected)) {
    void test(`${name}: valid, and the bytes hash as recorded`, () => {
      const build = wasmModules.get(name);
      assert.ok(build, `no module named ${name}`);
      for (const [kind, shared] of [
        ['plain', false],
        ['shared', true],
      ] as const) {
        const bytes = build(shared);
        assert.ok(WebAssembly.validate(bytes), `${name} (${kind}) is not a valid module`);
        assert.equal(sha256(bytes), want[kind], `${name} (${kind})`);
      }
    });
  }
});
