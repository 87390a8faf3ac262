/** `mlm finetune` → `mlm eval --data` → `mlm predict` → `mlm export` → `mlm import`, from the sources, on a tiny set. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../../..');
const MAIN = path.join(ROOT, 'server/cli/main.ts');
const FIXTURE = path.join(ROOT, 'test/fixtures/hf-tiny-bert');
let ws: string;
const w = (p: string) => path.join(ws, p);
before(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-ft-cli-'));
  const words = ['cat', 'dog', 'river', 'capital', 'france', 'london', 'paris', 'bank'];
  const rows = ['text,label'];
  for (let i = 0; i < 20; i++)
    rows.push(`"the ${words[i % 8]}, the ${words[(i * 3) % 8]}",${i % 2 ? 'odd' : 'even'}`);
  rows.push('"never closed,even');
  fs.writeFileSync(w('d.csv'), `${rows.join('\n')}\n`);
});
after(() => fs.rmSync(ws, { recursive: true, force: true }));

function mlm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...argv],
      { cwd: ROOT, maxBuffer: 1 << 24 },
      (error, out, err) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, out, err });
      },
    );
  });
}

void describe('mlm finetune / eval / predict / export / import', () => {
  void test('bad flags are usage errors naming the flag', async () => {
    const r = await mlm(
      'finetune',
      '--init',
      FIXTURE,
      '--train',
      w('d.csv'),
      '--out',
      w('x'),
      '--task',
      'sentiment',
    );
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /--task must be one of classification, multilabel, regression, token, got "sentiment"/,
    );
    const wr = await mlm(
      'finetune',
      '--init',
      FIXTURE,
      '--train',
      w('d.csv'),
      '--out',
      w('x'),
      '--warmup-ratio',
      '2',
    );
    assert.equal(wr.code, 2);
    assert.match(wr.err, /warmup ratio must be a number in \[0, 1\], got 2/);
    assert.equal(fs.existsSync(w('x')), false);
  });

  void test('the whole round trip', async () => {
    const ft = await mlm(
      'finetune',
      '--init',
      FIXTURE,
      '--train',
      w('d.csv'),
      '--out',
      w('ft'),
      '--max-steps',
      '4',
      '--batch-size',
      '4',
      '--lr',
      '1e-3',
      '--backend',
      'cpu',
    );
    assert.equal(ft.code, 0, ft.err);
    assert.match(ft.err, /d\.csv:22: broken quoting: a quoted field opened on line 22 is never closed/);
    assert.match(ft.err, /majority baseline \(always "(even|odd)"\): accuracy 50\.0 %/);
    assert.match(ft.out, /baseline: {3}accuracy 50\.0 %/);
    const ev = await mlm('eval', '--run', w('ft'), '--data', w('d.csv'), '--json', '--backend', 'cpu');
    assert.equal(ev.code, 0, ev.err);
    const e = JSON.parse(ev.out) as {
      accuracy: number;
      macroF1: number;
      examples: number;
      skipped: unknown[];
      detail: { confusion: number[][] };
    };
    assert.equal(e.examples, 20);
    assert.equal(e.skipped.length, 1);
    assert.ok(e.accuracy >= 0 && e.accuracy <= 1 && e.macroF1 >= 0);
    assert.equal(
      e.detail.confusion.flat().reduce((a, b) => a + b, 0),
      20,
    );
    const pr = await mlm(
      'predict',
      '--run',
      w('ft'),
      '--json',
      '--backend',
      'cpu',
      'the cat',
      'the paris bank',
    );
    assert.equal(pr.code, 0, pr.err);
    const preds = pr.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { labels: string[]; scores: Array<{ label: string; score: number }> });
    assert.equal(preds.length, 2);
    for (const p of preds) {
      assert.equal(p.scores.length, 2);
      assert.ok(Math.abs(p.scores[0].score + p.scores[1].score - 1) < 1e-6);
      assert.equal(p.labels[0], p.scores[0].label);
    }
    const ex = await mlm('export', '--run', w('ft'), '--out', w('hf'));
    assert.equal(ex.code, 0, ex.err);
    const config = JSON.parse(fs.readFileSync(path.join(w('hf'), 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(config.architectures, ['BertForSequenceClassification']);
    assert.deepEqual(config.id2label, { 0: 'even', 1: 'odd' });
    assert.deepEqual(config.label2id, { even: 0, odd: 1 });
    assert.equal(config.problem_type, 'single_label_classification');
    const im = await mlm('import', '--hf', w('hf'), '--out', w('imported'));
    assert.equal(im.code, 0, im.err);
    const again = await mlm(
      'predict',
      '--run',
      w('imported'),
      '--json',
      '--backend',
      'cpu',
      'the cat',
      'the paris bank',
    );
    assert.equal(again.out, pr.out);
  });
});
