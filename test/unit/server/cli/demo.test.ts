import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { demoFinetuneConfig, demoRunConfig, transferVerdict } from '../../../../server/cli/commands/demo';
import { labelSet, readLabelledData } from '../../../../server/ml/finetune';
import { readCorpus } from '../../../../server/ml/train/prepare';

const SAMPLE = path.resolve(__dirname, '../../../fixtures/sample-corpus');

void describe('mlm demo', () => {
  void test('the demo reads the sample corpus texts but not its SOURCES.md', async () => {
    const config = demoRunConfig({ corpus: SAMPLE, sample: true });
    const docs = await readCorpus(config, SAMPLE, {});
    const names = docs.map((d) => path.relative(SAMPLE, d.path));
    assert.ok(names.length >= 20, names.join(' '));
    assert.ok(!names.includes('SOURCES.md'), names.join(' '));
    assert.ok(
      names.every((n) => /^(en|es|zh)\//.test(n)),
      names.join(' '),
    );
  });

  void test('another corpus (--corpus) keeps the default excludes only', () => {
    const config = demoRunConfig({ corpus: '/tmp/notes', sample: false });
    assert.ok(!config.corpus.exclude.includes('**/SOURCES.md'));
    assert.ok(config.corpus.exclude.includes('**/.mlm/**'));
  });

  void test('the fine-tuning step reads the bundled labelled sample: 5 balanced genres, no bad row', async () => {
    const c = demoFinetuneConfig({ init: '/nowhere', fromScratch: false });
    const train = await readLabelledData(c.task.train, { task: 'classification' });
    const held = await readLabelledData(c.task.eval!, { task: 'classification' });
    assert.deepEqual([train.bad, held.bad], [[], []]);
    assert.deepEqual(labelSet('classification', train.examples, held.examples), [
      'epistles',
      'gospels-acts',
      'law-history',
      'prophets',
      'wisdom-poetry',
    ]);
    const count = (rows: typeof train.examples, label: string) =>
      rows.filter((e) => 'labels' in e && e.labels[0] === label).length;
    for (const l of ['epistles', 'law-history']) {
      assert.equal(count(train.examples, l), 240);
      assert.equal(count(held.examples, l), 60);
    }
    const texts = new Set(train.examples.map((e) => ('text' in e ? e.text : '')));
    assert.ok(
      held.examples.every((e) => 'text' in e && !texts.has(e.text)),
      'held-out verses are not in training',
    );
  });
  for (const [pre, scratch, n, diff, noise, reading] of [
    [0.433, 0.467, 300, '−3.4', '±8.1', 'within the noise'],
    [0.6, 0.45, 300, '+15.0', '±8.1', 'pretraining helped'],
    [0.3, 0.45, 300, '−15.0', '±7.8', 'pretraining hurt'],
    [0.5, 0.45, 3000, '+5.0', '±2.6', 'pretraining helped'],
  ] as const) {
    void test(`the verdict line: ${pre} vs ${scratch} on ${n} examples → ${reading}`, () => {
      const line = transferVerdict(pre, scratch, n);
      assert.ok(line.includes(`${diff} points`), line);
      assert.ok(line.includes(`${noise} points`), line);
      assert.ok(line.includes(reading), line);
    });
  }
});
