import { before, describe } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { runCases } from './smallGemmCases';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 2 });
});

// On the threaded binary the tiles run on tfjs's shared memory.
void describe('smallGemm on the threaded SIMD binary (shared memory) equals float64', () => runCases(true));
