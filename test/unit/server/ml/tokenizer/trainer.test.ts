/** WordPiece training, saving/loading both formats, and the coverage report, on tiny corpora. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  coverageReport,
  formatCoverageReport,
  loadTokenizer,
  parseTokenizerJson,
  trainWordPiece,
  WordPieceTokenizer,
} from '../../../../../server/ml/tokenizer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-tok-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CORPUS = [
  'The cat sat on the mat. The cat ate the rat.',
  'Cats and rats: the eternal chase! Naïve cats chase rats.',
  '猫坐在垫子上。',
];

void describe('trainWordPiece', () => {
  void test('specials first, then the full alphabet (word-initial and ##), then merges by frequency', async () => {
    const progress: Array<number | undefined> = [];
    const t = await trainWordPiece(CORPUS, { vocabSize: 50, minFrequency: 2 }, (p) =>
      progress.push(p.fraction),
    );
    const v = t.config.vocab;
    assert.deepEqual(v.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    // Every character of the (normalised) corpus is a piece, so no word of it becomes [UNK].
    for (const ch of 'thecatsonmrndi.!:猫坐在垫子上。') assert.ok(v.includes(ch), `alphabet lacks ${ch}`);
    assert.ok(
      v.includes('##t') && !v.includes('##.') && !v.includes('##猫'),
      'punctuation and CJK never continue',
    );
    assert.ok(!v.includes('ï'), 'accents stripped (uncased)');
    // The most frequent words are whole pieces.
    for (const w of ['the', 'cat', '##at']) assert.ok(v.includes(w), `${w} not merged`);
    assert.deepEqual(v.slice(43), ['##at', 'th', 'the', 'cat', 'rat', 'ch', '##as']);
    assert.equal(v.length, 50);
    assert.equal(new Set(v).size, v.length, 'no duplicate pieces');
    assert.equal(progress.at(-1), 1);
    for (const line of CORPUS) assert.ok(!t.encodeIds(line).includes(t.special.unk), line);
    assert.equal(t.decode(t.encodeIds('the cats sat', false)), 'the cats sat');
  });

  void test('deterministic, and stops early when no pair reaches min frequency', async () => {
    const a = await trainWordPiece(CORPUS, { vocabSize: 1000, minFrequency: 3 });
    const b = await trainWordPiece(CORPUS, { vocabSize: 1000, minFrequency: 3 });
    assert.deepEqual(a.config.vocab, b.config.vocab);
    assert.ok(a.vocabSize < 1000);
    const rare = await trainWordPiece(CORPUS, { vocabSize: 1000, minFrequency: 100 });
    assert.equal(
      rare.vocabSize,
      rare.config.vocab.filter((p) => [...p.replace(/^##/, '')].length === 1).length + 5,
    );
  });

  void test('cased keeps case and accents; limitAlphabet keeps the most frequent characters', async () => {
    const cased = await trainWordPiece(CORPUS, { vocabSize: 60, lowercase: false });
    assert.ok(cased.config.vocab.includes('T') && cased.config.vocab.includes('##ï'));
    assert.equal(cased.lowercase, false);
    assert.equal(cased.encode('Naïve').tokens.includes('[UNK]'), false);
    const limited = await trainWordPiece(CORPUS, { vocabSize: 30, limitAlphabet: 5 });
    const singles = limited.config.vocab.slice(5).filter((p) => [...p.replace(/^##/, '')].length === 1);
    assert.ok(new Set(singles.map((p) => p.replace(/^##/, ''))).size <= 5);
  });

  void test('bad options are rejected with the cause', async () => {
    await assert.rejects(trainWordPiece(CORPUS, { vocabSize: 0 }), /vocabSize must be an integer/);
    await assert.rejects(
      trainWordPiece(CORPUS, { vocabSize: 50, specialTokens: ['[PAD]'] }),
      /must include \[UNK\]/,
    );
  });

  void test('an abort signal stops training', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(trainWordPiece(CORPUS, { vocabSize: 50, signal: ac.signal }), {
      name: 'AbortError',
    });
    const big = ['x'.repeat(10), ...CORPUS, 'the cat '.repeat(200_000)];
    const late = new AbortController();
    const run = trainWordPiece(big, { vocabSize: 50, signal: late.signal }, () => late.abort());
    await assert.rejects(run, { name: 'AbortError' });
  });

  void test('accepts an async iterable of texts', async () => {
    async function* gen() {
      for (const t of CORPUS) yield t;
    }
    const a = await trainWordPiece(gen(), { vocabSize: 70 });
    const b = await trainWordPiece(CORPUS, { vocabSize: 70 });
    assert.deepEqual(a.config.vocab, b.config.vocab);
  });
});

void describe('saving and loading', () => {
  void test('tokenizer.json and vocab.txt round-trip; a directory prefers tokenizer.json', async () => {
    const t = await trainWordPiece(CORPUS, { vocabSize: 70, lowercase: false });
    const dir = path.join(tmp, 'saved');
    await t.save(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['tokenizer.json', 'vocab.txt']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    assert.deepEqual(json.normalizer, {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: false,
    });
    assert.equal(json.post_processor.type, 'TemplateProcessing');
    assert.deepEqual(json.decoder, { type: 'WordPiece', prefix: '##', cleanup: true });
    assert.equal(fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8'), `${t.config.vocab.join('\n')}\n`);
    const fromDir = await loadTokenizer(dir);
    assert.deepEqual(fromDir.config, t.config);
    const fromVocab = await loadTokenizer(path.join(dir, 'vocab.txt'));
    assert.deepEqual(fromVocab.config.vocab, t.config.vocab);
    assert.equal(fromVocab.lowercase, false, 'upper-case pieces → cased');
    assert.equal((await loadTokenizer(path.join(dir, 'vocab.txt'), { lowercase: true })).lowercase, true);
  });

  const bad: Array<{ name: string; files: Record<string, string>; error: RegExp }> = [
    { name: 'empty directory', files: {}, error: /holds neither tokenizer\.json nor vocab\.txt/ },
    { name: 'not JSON', files: { 'tokenizer.json': '{oops' }, error: /is not valid JSON/ },
    {
      // Any model type loads through HfTokenizer (hfTokenizer.test.ts); an incomplete pipeline is refused by name.
      name: 'a BPE model without its decoder',
      files: { 'tokenizer.json': '{"model": {"type": "BPE", "vocab": {}}}' },
      error: /tokenizer\.json: Tokenizer must contain a "decoder" property/,
    },
    { name: 'empty vocab.txt', files: { 'vocab.txt': '' }, error: /is empty/ },
    {
      name: 'tokenizer.json without [MASK]',
      files: {
        'tokenizer.json': JSON.stringify({
          model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 } },
          pre_tokenizer: { type: 'BertPreTokenizer' },
        }),
      },
      error: /tokenizer\.json: the vocabulary has no mask token "\[MASK\]"/,
    },
    {
      name: 'vocab.txt without specials',
      files: { 'vocab.txt': 'a\nb\n[PAD]\n' },
      error: /lacks the special tokens \[UNK\] \[CLS\] \[SEP\] \[MASK\]/,
    },
  ];
  for (const c of bad) {
    void test(`bad tokenizer: ${c.name}`, async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
      for (const [f, text] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, f), text);
      await assert.rejects(loadTokenizer(dir), c.error);
    });
  }
  void test('missing path', async () => {
    await assert.rejects(loadTokenizer(path.join(tmp, 'nope')), /no such file or directory/);
  });
  void test('tokenizer.json with ids that leave a gap', () => {
    const raw = {
      model: { type: 'WordPiece', vocab: { a: 0, b: 2 } },
      pre_tokenizer: { type: 'BertPreTokenizer' },
    };
    assert.throws(() => parseTokenizerJson(raw, 'x.json'), /no vocab entry has id 1/);
  });
});

void describe('coverage report', () => {
  void test('whole words, pieces per word, fragmented and unknown words', async () => {
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'ch', '##as', '##e', '##r'];
    const t = new WordPieceTokenizer({
      vocab,
      unkToken: '[UNK]',
      continuingSubwordPrefix: '##',
      maxInputCharsPerWord: 100,
      normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true },
      addedTokens: vocab.slice(0, 5).map((content, id) => ({ id, content, special: true })),
    });
    const r = await coverageReport(t, ['The cat', 'the chaser xyz ☃ the'], { top: 5 });
    assert.deepEqual(r, {
      words: 7,
      distinctWords: 5,
      wholeWords: 4,
      unknownWords: 2,
      pieces: 10,
      fragmented: [{ word: 'chaser', count: 1, pieces: ['ch', '##as', '##e', '##r'] }],
      unknown: [
        { word: 'xyz', count: 1, pieces: ['[UNK]'] },
        { word: '☃', count: 1, pieces: ['[UNK]'] },
      ],
    });
    const text = formatCoverageReport(r);
    assert.match(
      text,
      /words: 7 \(5 distinct\)\nkept whole: 57\.1 %\nmean pieces per word: 1\.429\n\[UNK\]: 28\.6 % of words/,
    );
    assert.match(text, /split into 3\+ pieces:\n\s+1\s+chaser {2}→ {2}ch ##as ##e ##r/);
  });
});
