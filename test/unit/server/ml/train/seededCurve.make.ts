/**
 * Writes curve.json: `node --import tsx test/unit/server/ml/train/seededCurve.make.ts`. Run on the code
 * whose numerics are the reference (curve.json records which commit).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../../../../server/ml/backend';
import { seededCurves } from './seededCurve';

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    commit: execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim(),
    date: new Date().toISOString(),
  };
  await initBackend({ backend: 'wasm', threads: 1 });
  const tf = await import('@tensorflow/tfjs-core');
  for (const backend of ['wasm', 'cpu'] as const) {
    await tf.setBackend(backend);
    out[backend] = await seededCurves();
  }
  fs.writeFileSync(
    path.join(__dirname, '../../../../fixtures/seeded-curve/curve.json'),
    `${JSON.stringify(out, null, 1)}\n`,
  );
}

void main().then(() => process.exit(0));
