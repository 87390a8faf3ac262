import { before, describe } from 'node:test';
import { initBackend } from '../../../../../server/ml/backend';
import { runCases } from './smallGemmCases';

void before(async () => {
  await initBackend({ backend: 'wasm', threads: 1 });
});

void describe('smallGemm on the single-threaded SIMD binary equals float64', () => runCases(true));
