import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReplaceWordArgs, SurpriseWord } from '../../../protocol/surprise';
import { formatProbability, pickSurprising, surpriseHoverMarkdown } from '../../../extension/surprise/pick';
import { parseClientSettings } from '../../../extension/settings';

const word = (w: string, probability: number, at = 0): SurpriseWord => ({
  range: { start: { line: 0, character: at }, end: { line: 0, character: at + w.length } },
  word: w,
  probability,
  alternatives: [{ token: 'the', score: 0.5 }],
});

void describe('surprise lens: which words are marked', () => {
  const words = Array.from({ length: 30 }, (_, i) => word(`w${i}`, 0.5 - i * 0.01));
  const table = [
    { threshold: 0.01, want: [] as string[] },
    { threshold: 0.255, want: ['w29', 'w28', 'w27'] }, // 5 below, at most 10 % of 30
    { threshold: 0.225, want: ['w29', 'w28'] },
    { threshold: 0.215, want: ['w29'] },
  ];
  for (const c of table) {
    void test(`threshold ${c.threshold}`, () => {
      assert.deepEqual(
        pickSurprising(words, c.threshold).map((w) => w.word),
        c.want,
      );
    });
  }
  void test('a short text still gets its one most surprising word', () => {
    assert.deepEqual(
      pickSurprising([word('a', 0.5), word('teh', 0.0001)], 0.01).map((w) => w.word),
      ['teh'],
    );
  });
  void test('the hover names the probability and links each alternative to mlm.replaceWord', () => {
    const md = surpriseHoverMarkdown('file:///a.txt', word('teh', 0.00012, 4), 'run-1');
    assert.match(md, /\*\*Surprising word\*\* `teh` — the model gives it 0\.01%/);
    const m = /\[the\]\(command:mlm\.replaceWord\?([^ )]+)/.exec(md);
    assert.ok(m, md);
    const [args] = JSON.parse(decodeURIComponent(m[1])) as ReplaceWordArgs[];
    assert.deepEqual(args, {
      uri: 'file:///a.txt',
      range: { start: { line: 0, character: 4 }, end: { line: 0, character: 7 } },
      word: 'teh',
      token: 'the',
    });
    assert.equal(formatProbability(0.5), '50.0%');
    assert.equal(formatProbability(0.0000012), '1.2e-4%');
  });
  void test('settings: defaults, valid values, and a bad one named', () => {
    assert.deepEqual(parseClientSettings({}).settings.surprise, {
      languages: [],
      threshold: 0.01,
      problems: false,
      problemThreshold: 0.001,
    });
    const ok = { languages: ['markdown'], threshold: 0.05, problems: true, problemThreshold: 0.002 };
    assert.deepEqual(parseClientSettings({ surprise: ok }).settings.surprise, ok);
    const bad = parseClientSettings({ surprise: { threshold: 0 } });
    assert.match(
      bad.errors[0],
      /mlm\.surprise\.threshold must be a probability in \(0, 1\], got 0; using 0\.01/,
    );
  });
});
