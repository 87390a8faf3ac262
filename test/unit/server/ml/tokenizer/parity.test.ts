/**
 * Parity with Hugging Face's native `tokenizers`: on > 20,000 lines of varied text our ids (and word ids and
 * offsets) equal its on every line, for our trained tokenizer.json (uncased and cased) loaded by HF, and for a
 * vocab.txt of the standard BERT shape ([PAD] at 0, [unused…] rows, [UNK] [CLS] [SEP] [MASK] at 100–103) loaded
 * by both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { CorpusReader } from '../../../../../server/ml/corpus';
import {
  loadTokenizer,
  trainWordPiece,
  type AnyTokenizer,
  type WordPieceTokenizer,
} from '../../../../../server/ml/tokenizer';
import { SAMPLE_CORPUS, parityLines } from './parityText';

type HfEncoding = {
  getIds(): number[];
  getWordIds(): Array<number | null | undefined>;
  getOffsets(): number[][];
};

/** Our offsets are UTF-16 (JavaScript string indices); HF's Node binding gives code point indices. */
function codePointOffsets(line: string, offsets: Array<[number, number]>): number[][] {
  if (!/[\ud800-\udfff]/.test(line)) return offsets;
  const index = new Int32Array(line.length + 1);
  for (let i = 0, cp = 0; i <= line.length; i++) {
    index[i] = cp;
    const c = line.charCodeAt(i);
    if (!(c >= 0xd800 && c <= 0xdbff && i + 1 < line.length && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00))
      cp++;
  }
  return offsets.map(([s, e]) => [index[s], index[e]]);
}
interface HfTokenizer {
  encodeBatch(lines: string[]): Promise<HfEncoding[]>;
  decode(ids: number[], skipSpecial: boolean): Promise<string>;
}
const hf = createRequire(__filename)('tokenizers') as typeof import('tokenizers');

const lines = parityLines();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-parity-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function trainingTexts(): Promise<string[]> {
  const texts: string[] = [];
  for await (const t of new CorpusReader({ roots: [SAMPLE_CORPUS] }).texts()) texts.push(t);
  // Half of the parity lines too, so that every script has pieces of its own (the other half meets [UNK] more).
  texts.push(lines.filter((_, i) => i % 2 === 0).join('\n'));
  return texts;
}

/** Compares ids (and word ids) line by line; reports the first mismatches with their tokens. */
async function assertParity(ours: AnyTokenizer, theirs: HfTokenizer, label: string): Promise<void> {
  const batch = 2000;
  const bad: string[] = [];
  let compared = 0;
  for (let i = 0; i < lines.length; i += batch) {
    const chunk = lines.slice(i, i + batch);
    const encs = await theirs.encodeBatch(chunk);
    chunk.forEach((line, k) => {
      const mine = ours.encode(line);
      const ids = encs[k].getIds();
      const wordIds = encs[k].getWordIds().map((w) => (w === undefined ? null : w));
      compared++;
      if (
        JSON.stringify(mine.ids) !== JSON.stringify(ids) ||
        JSON.stringify(mine.wordIds) !== JSON.stringify(wordIds) ||
        JSON.stringify(codePointOffsets(line, mine.offsets)) !== JSON.stringify(encs[k].getOffsets())
      ) {
        if (bad.length < 5)
          bad.push(
            `${JSON.stringify(line)}\n  ours ${mine.tokens.join(' ')} ${JSON.stringify(codePointOffsets(line, mine.offsets))}\n  hf   ${ids.map((id) => ours.idToToken(id)).join(' ')} ${JSON.stringify(encs[k].getOffsets())}`,
          );
        else bad.push('');
      }
    });
  }
  assert.ok(compared >= 20_000, `only ${compared} lines compared`);
  assert.equal(
    bad.length,
    0,
    `${label}: ${bad.length} of ${compared} lines differ, e.g.\n${bad.slice(0, 5).join('\n')}`,
  );
  // Decoding agrees too (a sample: HF's decode is one call per line).
  for (let i = 0; i < lines.length; i += 97) {
    const ids = ours.encodeIds(lines[i]);
    assert.equal(
      ours.decode(ids, { skipSpecialTokens: true }),
      await theirs.decode(ids, true),
      `decode of line ${i}`,
    );
  }
}

void describe('Hugging Face parity', () => {
  let texts: string[] = [];
  before(async () => {
    texts = await trainingTexts();
  });
  const trained = new Map<boolean, Promise<WordPieceTokenizer>>();
  const train = (cased: boolean): Promise<WordPieceTokenizer> => {
    if (!trained.has(cased))
      trained.set(cased, trainWordPiece(texts, { vocabSize: 6000, lowercase: !cased }));
    return trained.get(cased)!;
  };

  for (const cased of [false, true]) {
    void test(`trained ${cased ? 'cased' : 'uncased'} tokenizer.json: ids equal HF's on every line`, async () => {
      const ours = await train(cased);
      const dir = path.join(tmp, cased ? 'cased' : 'uncased');
      await ours.save(dir);
      const loaded = await loadTokenizer(dir);
      const theirs = hf.Tokenizer.fromFile(path.join(dir, 'tokenizer.json')) as unknown as HfTokenizer;
      await assertParity(loaded, theirs, cased ? 'cased' : 'uncased');
    });
  }

  void test('standard BERT-shaped vocab.txt ([unused] rows, specials at 0 and 100–103): ids equal HF', async () => {
    const trained = await train(false);
    const pieces = trained.config.vocab.filter((p) => !/^\[(PAD|UNK|CLS|SEP|MASK)\]$/.test(p));
    const unused = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => `[unused${from + i}]`);
    const vocab = [
      '[PAD]',
      ...unused(0, 99),
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
      ...unused(99, 994),
      ...pieces,
    ];
    const file = path.join(tmp, 'bert-shape-vocab.txt');
    fs.writeFileSync(file, `${vocab.join('\n')}\n`);

    const ours = await loadTokenizer(file);
    assert.deepEqual(ours.special, { pad: 0, unk: 100, cls: 101, sep: 102, mask: 103 });
    assert.equal(ours.lowercase, true, 'a vocab without upper-case pieces loads as uncased');
    assert.equal(ours.vocabSize, vocab.length);

    const model = await hf.WordPiece.fromFile(file, { unkToken: '[UNK]' });
    const theirs = new hf.Tokenizer(model);
    theirs.setNormalizer(hf.bertNormalizer({ lowercase: true }));
    theirs.setPreTokenizer(hf.bertPreTokenizer());
    theirs.setPostProcessor(hf.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
    theirs.setDecoder(hf.wordPieceDecoder('##', true));
    theirs.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    await assertParity(ours, theirs as unknown as HfTokenizer, 'BERT vocab.txt');
  });
});
