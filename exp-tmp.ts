import { initBackend } from './server/ml/backend';
import { runTraining } from './server/ml/train/run';
import { syntheticWorkspace, tinyConfig } from './test/unit/train/fixtures';
async function main() {
  await initBackend({ backend: 'wasm', threads: 1 });
  const ws = syntheticWorkspace();
  const patch = JSON.parse(process.argv[2]);
  const t0 = Date.now();
  const s = await runTraining(tinyConfig(patch), { cwd: ws, callbacks: { onMetrics: (m) => process.stdout.write(`${m.step} ${m.loss.toFixed(3)} ${m.accuracy!.toFixed(3)}\n`) } });
  process.stdout.write(`baseline ${s.baselineAccuracy} ${Date.now() - t0}ms ${s.error ?? ''}\n`);
}
void main();
