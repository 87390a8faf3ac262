/** Normalisation, pre-tokenisation, WordPiece splitting and decoding on a tiny hand-made vocabulary. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WordPieceTokenizer, splitWords, type WordPieceConfig } from '../../../../../server/ml/tokenizer';

// prettier-ignore
const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', //  0–4
  'un', '##aff', '##able', 'hello', 'world',   //  5–9
  '!', ',', '.', 'cafe', 'café',               // 10–14
  '中', '文', 'a', '##b', '##c',                 // 15–19
  'ab', '##a', 'σας', '😀', 'Hello',            // 20–24
  '##ing', 'go', 'i', '##̇', "'",              // 25–29
  't', 'don', 'n', "##'",                       // 30–33
];

function tokenizer(lowercase: boolean, stripAccents: boolean | null = null): WordPieceTokenizer {
  const config: WordPieceConfig = {
    vocab: VOCAB,
    unkToken: '[UNK]',
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
    normalizer: { cleanText: true, handleChineseChars: true, stripAccents, lowercase },
    addedTokens: VOCAB.slice(0, 5).map((content, id) => ({ id, content, special: true })),
  };
  return new WordPieceTokenizer(config);
}

void describe('normalisation and pre-tokenisation (uncased)', () => {
  const uncased = { cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true };
  const cases: Array<{ text: string; words: string[] }> = [
    { text: 'Hello, World!', words: ['hello', ',', 'world', '!'] },
    { text: '  many\u00a0\tkinds\u3000of\u2028space\n', words: ['many', 'kinds', 'of', 'space'] },
    { text: 'Héllo Ångström NAÏVE', words: ['hello', 'angstrom', 'naive'] },
    { text: 'e\u0301 n\u0303', words: ['e', 'n'] },
    { text: '中文abc字', words: ['中', '文', 'abc', '字'] },
    { text: 'ｶﾀｶﾅ 한국어', words: ['ｶﾀｶﾅ', '한국어'.normalize('NFD')] },
    { text: 'a\u0000b\u200bc\u00add\ufffde\u0001f', words: ['abcdef'] },
    { text: 'x\u000by\u0085z', words: ['xyz'] },
    { text: 'a\ud800b c\udc00d', words: ['ab', 'cd'] },
    {
      text: "don't $5+3=8 ~a^b`c|d",
      words: ['don', "'", 't', '$', '5', '+', '3', '=', '8', '~', 'a', '^', 'b', '`', 'c', '|', 'd'],
    },
    { text: '«quote» ¿qué? — end…', words: ['«', 'quote', '»', '¿', 'que', '?', '—', 'end', '…'] },
    { text: 'ΣΑΣ İ ß', words: ['σασ', 'i', 'ß'] },
    { text: '😀👍🏽', words: ['😀👍🏽'] },
    { text: '', words: [] },
  ];
  for (const c of cases) {
    void test(JSON.stringify(c.text), () => assert.deepEqual(splitWords(c.text, uncased), c.words));
  }

  void test('cased keeps case and accents; lowercase without accent stripping', () => {
    const cased = { cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false };
    assert.deepEqual(splitWords('Héllo ΣΑΣ İ', cased), ['Héllo', 'ΣΑΣ', 'İ']);
    const lowerKeep = { ...cased, lowercase: true };
    assert.deepEqual(splitWords('Héllo İ', lowerKeep), ['héllo', 'i̇']);
  });
});

void describe('WordPiece encoding', () => {
  const cases: Array<{ text: string; tokens: string[]; ids: number[]; cased?: boolean }> = [
    { text: 'unaffable', tokens: ['un', '##aff', '##able'], ids: [5, 6, 7] },
    { text: 'UNAFFABLE', tokens: ['un', '##aff', '##able'], ids: [5, 6, 7] },
    { text: 'Hello, world!', tokens: ['hello', ',', 'world', '!'], ids: [8, 11, 9, 10] },
    { text: 'Café CAFE', tokens: ['cafe', 'cafe'], ids: [13, 13] },
    { text: 'café', tokens: ['café'], ids: [14], cased: true },
    { text: 'Café', tokens: ['[UNK]'], ids: [1], cased: true },
    { text: 'HELLO', tokens: ['[UNK]'], ids: [1], cased: true },
    { text: 'Hello', tokens: ['Hello'], ids: [24], cased: true },
    { text: 'abc', tokens: ['ab', '##c'], ids: [20, 19] },
    { text: 'abab', tokens: ['ab', '##a', '##b'], ids: [20, 21, 18] },
    { text: 'abd', tokens: ['[UNK]'], ids: [1] },
    { text: 'ab abd ab', tokens: ['ab', '[UNK]', 'ab'], ids: [20, 1, 20] },
    { text: 'hello中文world', tokens: ['hello', '中', '文', 'world'], ids: [8, 15, 16, 9] },
    { text: 'σας ΣΑΣ', tokens: ['σας', '[UNK]'], ids: [22, 1] },
    { text: '😀 😀😀', tokens: ['😀', '[UNK]'], ids: [23, 1] },
    { text: 'going', tokens: ['go', '##ing'], ids: [26, 25] },
    {
      text: 'hello[MASK]world [MASK].',
      tokens: ['hello', '[MASK]', 'world', '[MASK]', '.'],
      ids: [8, 4, 9, 4, 12],
    },
    { text: '[mask] [MASK', tokens: ['[UNK]', '[UNK]', '[UNK]', '[UNK]', '[UNK]'], ids: [1, 1, 1, 1, 1] },
    { text: '##ing', tokens: ['[UNK]', '[UNK]', '[UNK]'], ids: [1, 1, 1] },
    { text: '', tokens: [], ids: [] },
  ];

  for (const c of cases) {
    void test(`${c.cased ? 'cased' : 'uncased'} ${JSON.stringify(c.text.slice(0, 40))}`, () => {
      const enc = tokenizer(!c.cased).encode(c.text, { addSpecialTokens: false });
      assert.deepEqual(enc.tokens, c.tokens);
      assert.deepEqual(enc.ids, c.ids);
      assert.deepEqual(tokenizer(!c.cased).encodeIds(c.text, false), c.ids);
    });
  }

  void test('words of up to 100 characters are split; longer ones become one [UNK]', () => {
    const t = tokenizer(true);
    const hundred = t.encode('ab'.repeat(50), { addSpecialTokens: false });
    assert.equal(hundred.tokens.length, 99);
    assert.deepEqual(hundred.tokens.slice(0, 3), ['ab', '##a', '##b']);
    const a100 = t.encodeIds('a'.repeat(100), false);
    assert.deepEqual(a100, [17, ...Array<number>(99).fill(21)]);
    const over = t.encode(`x ${'ab'.repeat(50)}a y`, { addSpecialTokens: false });
    assert.deepEqual(over.tokens, ['[UNK]', '[UNK]', '[UNK]']);
    assert.deepEqual(over.offsets[1], [2, 103]);
  });

  void test('[CLS] … [SEP], offsets into the original text and word ids', () => {
    const text = 'Héllo, 😀 un​affable!';
    const enc = tokenizer(true).encode(text);
    assert.deepEqual(enc.tokens, ['[CLS]', 'hello', ',', '😀', 'un', '##aff', '##able', '!', '[SEP]']);
    assert.deepEqual(enc.offsets, [
      [0, 0],
      [0, 5],
      [5, 6],
      [7, 9],
      [10, 12],
      [13, 16],
      [16, 20],
      [20, 21],
      [0, 0],
    ]);
    assert.deepEqual(
      enc.offsets.slice(1, -1).map(([s, e]) => text.slice(s, e)),
      ['Héllo', ',', '😀', 'un', 'aff', 'able', '!'],
    );
    assert.deepEqual(enc.wordIds, [null, 0, 1, 2, 3, 3, 3, 4, null]);
  });

  void test('special token ids, vocabulary look-ups and a missing special token', () => {
    const t = tokenizer(true);
    assert.deepEqual(t.special, { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    assert.equal(t.vocabSize, VOCAB.length);
    assert.equal(t.tokenToId('##aff'), 6);
    assert.equal(t.idToToken(22), 'σας');
    assert.equal(t.tokenToId('nope'), undefined);
    assert.throws(() => t.idToToken(999), /token id 999 is outside the vocabulary/);
    assert.throws(
      () =>
        new WordPieceTokenizer({ ...t.config, vocab: VOCAB.filter((v) => v !== '[MASK]'), addedTokens: [] }),
      /the vocabulary has no mask token "\[MASK\]"/,
    );
  });
});

void describe('decoding (Hugging Face WordPiece decoder with cleanup)', () => {
  const cases: Array<{ ids: number[]; skip?: boolean; text: string }> = [
    { ids: [5, 6, 7], text: 'unaffable' },
    { ids: [2, 8, 11, 9, 10, 3], text: '[CLS] hello, world! [SEP]' },
    { ids: [2, 8, 11, 9, 10, 3], skip: true, text: 'hello, world!' },
    { ids: [8, 4, 9, 12], skip: true, text: 'hello world.' },
    // HF cleans each token on its own, so " ' " (which needs the next token) never matches: "don ' t".
    { ids: [31, 29, 30], text: "don ' t" },
    { ids: [6, 7], text: '##affable' },
    { ids: [15, 16, 23], text: '中 文 😀' },
    { ids: [], text: '' },
  ];
  for (const c of cases) {
    void test(`${JSON.stringify(c.ids)}${c.skip ? ' skipping specials' : ''}`, () => {
      assert.equal(tokenizer(true).decode(c.ids, { skipSpecialTokens: c.skip }), c.text);
    });
  }
});
