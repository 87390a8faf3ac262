/**
 * Pretraining and fine-tuning see a text the same way: the tokenizer a pretraining run trains and saves is the one
 * `mlm finetune --init RUN` loads (same lowercasing and accent stripping), and a text is framed as [CLS] … [SEP] at
 * the same positions in a pretraining example (line mode, and the first chunk of chunk mode) and in a fine-tuning
 * feature — so the [CLS] row the classifier reads was trained in the same context (docs/finetune.md, "Does
 * pretraining help?").
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExamples } from '../../../../../server/ml/data/examples';
import { encodeExamples } from '../../../../../server/ml/finetune/features';
import { loadTokenizer, trainWordPiece } from '../../../../../server/ml/tokenizer';

const CORPUS = [
  'In the beginning God created the heaven and the earth.',
  'And God said, Let there be light: and there was light.',
  'Él dijo: Sea la luz. Y fué la luz. ÉLAN Naïve café.',
  'The LORD is my shepherd; I shall not want.',
];

void describe('pretraining and fine-tuning frame a text alike', () => {
  for (const text of [CORPUS[1], CORPUS[2], 'THE LORD SAID unto Moses, Café!']) {
    void test(`"${text}"`, async () => {
      const trained = await trainWordPiece(CORPUS, { vocabSize: 200, minFrequency: 1, lowercase: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-framing-'));
      try {
        await trained.save(dir);
        const loaded = await loadTokenizer(dir); // what `mlm finetune --init RUN` reads from the run folder
        const seqLen = 64;
        const [line] = buildExamples(trained, [text], { seqLen, mode: 'line' });
        const [chunk] = buildExamples(trained, [text], { seqLen, mode: 'chunk' });
        const enc = encodeExamples([{ where: 't', text, labels: ['x'] }], loaded, {
          task: 'classification',
          labels: ['x'],
          maxLength: seqLen,
        });
        const ft = Array.from(enc.features[0].ids);
        assert.equal(ft[0], loaded.special.cls);
        assert.equal(ft[ft.length - 1], loaded.special.sep);
        assert.deepEqual(Array.from(line.ids.slice(0, line.length)), ft, 'line-mode pretraining example');
        assert.deepEqual(Array.from(chunk.ids.slice(0, chunk.length)), ft, 'a one-text chunk');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
