/**
 * Writes test/fixtures/seeded-curve/per-minute.json: `node --import tsx test/unit/server/ml/train/perMinuteCurve.make.ts`.
 * Run it when the per-minute recipe's values are changed on purpose (protocol/runRecipe.ts), in the same commit.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../../../../server/ml/backend';
import { perMinuteCurve } from './perMinuteCurve';

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm', threads: 1 });
  const out = {
    commit: execSync('git rev-parse HEAD', { encoding: 'utf8' }).trim(),
    date: new Date().toISOString(),
    wasm: await perMinuteCurve(),
  };
  fs.writeFileSync(
    path.join(__dirname, '../../../../fixtures/seeded-curve/per-minute.json'),
    `${JSON.stringify(out, null, 1)}\n`,
  );
}

void main().then(() => process.exit(0));
