/**
 * The WordPiece tokenizer: BERT normalisation + pre-tokenisation, greedy longest-match-first sub-words with the "##"
 * continuation prefix, [CLS] … [SEP] wrapping, and Hugging Face's WordPiece decoder. Encodes exactly as the
 * Hugging Face `tokenizers` library does with the same tokenizer.json (checked by the parity tests).
 */
import type { Encoding, SpecialTokenIds, Tokenizer } from '../types';
import { WordBuffer, scanWords, type NormalizerOptions } from './normalizer';
import { VocabTrie } from './vocabTrie';
import { saveTokenizer } from './save';
import type { WordPieceConfig } from './config';

/** Receives tokens as the encoder produces them (lets encode() and encodeIds() share one loop). */
interface TokenSink {
  push(id: number, start: number, end: number, word: number | null): void;
}

export class WordPieceTokenizer implements Tokenizer {
  readonly special: SpecialTokenIds;
  readonly maskToken = '[MASK]';
  readonly lowercase: boolean;
  readonly config: WordPieceConfig;
  private readonly norm: NormalizerOptions;
  private readonly ids = new Map<string, number>();
  private readonly wordTrie = new VocabTrie();
  private readonly contTrie = new VocabTrie();
  private readonly addedPattern: RegExp | undefined;
  private readonly addedIds = new Map<string, number>();
  private readonly specialIds = new Set<number>();
  private readonly buf: WordBuffer;
  private readonly match = new Int32Array(1);

  constructor(config: WordPieceConfig) {
    this.config = config;
    const n = config.normalizer;
    this.lowercase = n.lowercase;
    this.norm = {
      cleanText: n.cleanText,
      handleChineseChars: n.handleChineseChars,
      stripAccents: n.stripAccents ?? n.lowercase,
      lowercase: n.lowercase,
    };
    const prefix = config.continuingSubwordPrefix;
    config.vocab.forEach((piece, id) => {
      this.ids.set(piece, id);
      this.wordTrie.insert(piece, id);
      if (prefix && piece.startsWith(prefix) && piece.length > prefix.length) {
        this.contTrie.insert(piece.slice(prefix.length), id);
      }
    });
    for (const t of config.addedTokens) {
      this.addedIds.set(t.content, t.id);
      if (t.special) this.specialIds.add(t.id);
    }
    const contents = config.addedTokens.map((t) => t.content).filter((c) => c.length > 0);
    // Longest first: at one position the regex takes the first alternative that matches (leftmost-longest).
    contents.sort((a, b) => b.length - a.length);
    this.addedPattern = contents.length
      ? new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
      : undefined;
    const need = (token: string, role: string): number => {
      const id = this.ids.get(token) ?? this.addedIds.get(token);
      if (id === undefined) {
        throw new Error(`the vocabulary has no ${role} token "${token}"; add it to the vocabulary`);
      }
      return id;
    };
    this.special = {
      pad: need('[PAD]', 'padding'),
      unk: need(config.unkToken, 'unknown'),
      cls: need('[CLS]', 'classification'),
      sep: need('[SEP]', 'separator'),
      mask: need('[MASK]', 'mask'),
    };
    this.buf = new WordBuffer(Math.max(256, config.maxInputCharsPerWord + 1));
  }

  /** The resolved normalisation settings (strip accents decided). */
  get normalizer(): NormalizerOptions {
    return this.norm;
  }

  get vocabSize(): number {
    return this.config.vocab.length;
  }

  idToToken(id: number): string {
    const t = this.config.vocab[id];
    if (t === undefined)
      throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return t;
  }

  /** WordPiece tokens already read as the editor shows them ("##ing" continues a word). */
  displayToken(id: number): string {
    return this.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token) ?? this.addedIds.get(token);
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): Encoding {
    const enc: Encoding = { ids: [], tokens: [], offsets: [], wordIds: [] };
    const vocab = this.config.vocab;
    this.run(text, opts?.addSpecialTokens ?? true, {
      push(id, start, end, word) {
        enc.ids.push(id);
        enc.tokens.push(vocab[id]);
        enc.offsets.push([start, end]);
        enc.wordIds.push(word);
      },
    });
    return enc;
  }

  /** Only the ids (no offsets, tokens or word ids): the fast path for building training data. */
  encodeIds(text: string, addSpecialTokens = true): number[] {
    const ids: number[] = [];
    this.run(text, addSpecialTokens, {
      push(id) {
        ids.push(id);
      },
    });
    return ids;
  }

  /** The pieces of one normalised word (for coverage reports); [unk] when it cannot be split. */
  wordPieces(word: string): number[] {
    const ids: number[] = [];
    this.run(word, false, {
      push(id) {
        ids.push(id);
      },
    });
    return ids;
  }

  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    const skip = opts?.skipSpecialTokens ?? false;
    const prefix = this.config.continuingSubwordPrefix;
    let out = '';
    let first = true;
    for (const id of ids) {
      const token = this.config.vocab[id];
      if (token === undefined || (skip && this.specialIds.has(id))) continue;
      let piece = token;
      if (!first) piece = piece.startsWith(prefix) ? piece.slice(prefix.length) : ` ${piece}`;
      out += cleanup(piece);
      first = false;
    }
    return out;
  }

  save(dir: string): Promise<void> {
    return saveTokenizer(this.config, dir);
  }

  private run(text: string, addSpecialTokens: boolean, sink: TokenSink): void {
    if (addSpecialTokens) sink.push(this.special.cls, 0, 0, null);
    let word = 0;
    const onWord = (b: WordBuffer): void => {
      this.pieces(b, word++, sink);
    };
    let pos = 0;
    const pattern = this.addedPattern;
    if (pattern) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (m.index > pos) scanWords(text, pos, m.index, this.norm, this.buf, onWord);
        pos = m.index + m[0].length;
        sink.push(this.addedIds.get(m[0])!, m.index, pos, word++);
      }
    }
    if (pos < text.length) scanWords(text, pos, text.length, this.norm, this.buf, onWord);
    if (addSpecialTokens) sink.push(this.special.sep, 0, 0, null);
  }

  /** Greedy longest-match-first split of one word; the whole word becomes [UNK] if any part has no piece. */
  private pieces(b: WordBuffer, word: number, sink: TokenSink): void {
    const n = b.length;
    if (n > this.config.maxInputCharsPerWord) {
      sink.push(this.special.unk, b.starts[0], b.lastEnd, word);
      return;
    }
    // First pass: find the split points; emit only if the whole word splits.
    const ends: number[] = [];
    const ids: number[] = [];
    let start = 0;
    while (start < n) {
      const trie = start === 0 ? this.wordTrie : this.contTrie;
      const end = trie.longestMatch(b.cps, start, n, this.match);
      if (end < 0) {
        sink.push(this.special.unk, b.starts[0], b.lastEnd, word);
        return;
      }
      ends.push(end);
      ids.push(this.match[0]);
      start = end;
    }
    start = 0;
    for (let k = 0; k < ids.length; k++) {
      sink.push(ids[k], b.starts[start], b.ends[ends[k] - 1], word);
      start = ends[k];
    }
  }
}

/** Hugging Face's WordPiece decoder cleanup (applied per token). */
function cleanup(s: string): string {
  if (s.indexOf(' ') < 0) return s;
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
