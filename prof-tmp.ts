import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './server/ml/backend';
import { createModel, bertPreset } from './server/ml/model';
import { AdamW } from './server/ml/train/adamw';
import { trainStep } from './server/ml/train/step';
import { maskBatch } from './server/ml/data/masking';
import { SeededRng } from './server/ml/data/rng';
async function main() {
  const info = await initBackend({ backend: (process.argv[2] ?? 'auto') as 'wasm' });
  process.stdout.write(JSON.stringify(info) + '\n');
  const V = 8192, S = 64, B = 32;
  const model = createModel(bertPreset('tiny', V, 512), { seed: 1 });
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
  const rng = new SeededRng(1);
  const exs = Array.from({ length: B }, () => { const ids = new Int32Array(S); for (let i = 0; i < S; i++) ids[i] = 5 + rng.int(V - 5); ids[0] = 2; ids[S - 1] = 3; return { ids, length: S, wordStart: new Uint8Array(S) }; });
  const { batch } = maskBatch(exs, rng, { probability: 0.15, maskFraction: 0.8, randomFraction: 0.1, wholeWord: false }, { vocabSize: V, special: { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 } });
  for (let i = 0; i < 4; i++) {
    let t = Date.now();
    tf.tidy(() => { const { loss } = model.loss(batch, true); loss.dataSync(); });
    const fwd = Date.now() - t; t = Date.now();
    const vars = [...model.variables.values()];
    tf.tidy(() => { const { value, grads } = tf.variableGrads(() => model.loss(batch, true).loss, vars); value.dataSync(); Object.values(grads)[0].dataSync(); });
    const grad = Date.now() - t; t = Date.now();
    const g = new Map([...model.variables].map(([n, v]) => [n, tf.zerosLike(v)] as const));
    const t2 = Date.now();
    opt.apply(g, 1e-3); model.variables.values().next().value!.dataSync();
    const adam = Date.now() - t2; g.forEach((x) => x.dispose());
    t = Date.now();
    const r = trainStep(model, opt, [batch], { lr: 1e-3, clipNorm: 1 });
    const step = Date.now() - t;
    process.stdout.write(`fwd ${fwd} grad ${grad} adam ${adam} step ${step} loss ${r.loss}\n`);
  }
}
void main();
