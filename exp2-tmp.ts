import fs from 'node:fs';
import { initBackend } from './server/ml/backend';
import { createModel } from './server/ml/model';
import { trainWordPiece } from './server/ml/tokenizer';
import { buildExamples } from './server/ml/data/examples';
import { maskBatch } from './server/ml/data/masking';
import { SeededRng } from './server/ml/data/rng';
import { AdamW } from './server/ml/train/adamw';
import { trainStep } from './server/ml/train/step';
import { modelConfigFor } from './server/ml/train/modelConfig';
import { syntheticWorkspace, tinyConfig } from './test/unit/train/fixtures';
async function main() {
  await initBackend({ backend: 'wasm', threads: 1 });
  const ws = syntheticWorkspace();
  const texts = fs.readdirSync(ws).map((f) => fs.readFileSync(`${ws}/${f}`, 'utf8'));
  const tok = await trainWordPiece(texts, { vocabSize: 64, minFrequency: 1 });
  const ex = buildExamples(tok, texts, { seqLen: 32, mode: 'chunk' });
  process.stdout.write(`${ex.length} examples; ${tok.decode([...ex[0].ids])}\n${ex[0].ids.join(' ')}\n`);
  const cfg = tinyConfig({ model: { dropout: 0 } });
  const model = createModel(modelConfigFor(cfg, tok.vocabSize), { seed: 1 });
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01 });
  const { batch } = maskBatch(ex.slice(0, 8), new SeededRng(1), cfg.data.masking, { vocabSize: tok.vocabSize, special: tok.special });
  for (let i = 0; i < 60; i++) {
    const r = trainStep(model, opt, [batch], { lr: 0.003, clipNorm: 1 });
    if (i % 10 === 0) process.stdout.write(`${i} loss ${r.loss.toFixed(3)} acc ${r.accuracy.toFixed(3)} norm ${r.gradNorm.toFixed(3)}\n`);
  }
}
void main();
