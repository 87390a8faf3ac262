/**
 * A whitespace tokenizer over a fixed word list, implementing the Tokenizer contract — enough to drive
 * fill-mask in unit tests independently of the WordPiece trainer.
 */
import type { Encoding, Tokenizer } from '../../../../../server/ml/types';

export class WordTokenizer implements Tokenizer {
  readonly special = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
  readonly maskToken = '[MASK]';
  readonly lowercase = true;
  private readonly vocab: string[];
  private readonly ids: Map<string, number>;

  constructor(words: string[]) {
    this.vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];
    this.ids = new Map(this.vocab.map((w, i) => [w, i]));
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  idToToken(id: number): string {
    return this.vocab[id] ?? '[UNK]';
  }

  displayToken(id: number): string {
    return this.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): Encoding {
    const enc: Encoding = { ids: [], tokens: [], offsets: [], wordIds: [] };
    const special = opts.addSpecialTokens ?? true;
    if (special) this.push(enc, '[CLS]', [0, 0], null);
    let word = 0;
    for (const m of text.matchAll(/\S+/g)) {
      const w = m[0] === this.maskToken ? m[0] : m[0].toLowerCase();
      this.push(enc, this.ids.has(w) ? w : '[UNK]', [m.index, m.index + m[0].length], word++);
    }
    if (special) this.push(enc, '[SEP]', [0, 0], null);
    return enc;
  }

  private push(enc: Encoding, token: string, offsets: [number, number], wordId: number | null): void {
    enc.ids.push(this.ids.get(token)!);
    enc.tokens.push(token);
    enc.offsets.push(offsets);
    enc.wordIds.push(wordId);
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return ids
      .filter((id) => !(opts.skipSpecialTokens ?? true) || id > 4)
      .map((id) => this.idToToken(id))
      .join(' ');
  }

  save(): Promise<void> {
    return Promise.reject(new Error('WordTokenizer is a test fixture and cannot be saved'));
  }
}
