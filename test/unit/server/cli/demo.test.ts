import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { demoRunConfig } from '../../../../server/cli/commands/demo';
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
});
