/**
 * Any Hugging Face tokenizer.json (byte-level BPE as RoBERTa's, Unigram/SentencePiece as XLM-R's, WordPiece with
 * other normalisers, …) through Hugging Face's pure-JavaScript `@huggingface/tokenizers` (transformers.js's), so the
 * ids are the library's (checked against the native `tokenizers` package by the parity tests). The library gives no
 * offsets or word ids, so encode() runs its pipeline stage by stage, as its `encode_text` does — added tokens split
 * on the raw text, each remaining section normalised, pre-tokenised into words, each word through the model — and
 * aligns each section's tokens with its characters (hfPipeline.ts alignSection): UTF-16 [start, end) offsets.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { writeFileAtomicAsync } from '../atomicWrite';
import type { Encoding, SpecialTokenIds, Tokenizer } from '../types';
import {
  type Json,
  isObject,
  type Stages,
  type Added,
  type Units,
  byteLevelDecoder,
  isSpaceByte,
  usesByteLevel,
  metaspaceSplit,
  usesLowercase,
  wrapTokens,
  alternation,
  splitOn,
  findRun,
  alignSection,
} from './hfPipeline';

export class HfTokenizer implements Tokenizer {
  readonly special: SpecialTokenIds;
  readonly maskToken: string;
  readonly lowercase: boolean;
  /** "byte-level BPE", "Unigram", … (for messages and `mlm models`). */
  readonly kind: string;
  private readonly lib: HfLibTokenizer;
  private readonly stages: Stages;
  private readonly added: Added[];
  private readonly addedByContent = new Map<string, Added>();
  private readonly rawSplit: RegExp | undefined;
  private readonly normSplit: RegExp | undefined;
  private readonly normContents = new Set<string>();
  private readonly specialIds = new Set<number>();
  private readonly units: Units;
  private readonly byteLevel: boolean;
  private readonly stripPrefix: string;
  private readonly vocabLength: number;
  /** Words start at this character (Metaspace with split: the library's pre-tokeniser leaves it to the model). */
  private readonly wordMark: string | undefined;

  /** `json`: tokenizer.json parsed; `config`: tokenizer_config.json parsed ({} when absent). */
  constructor(
    readonly json: Json,
    readonly config: Json = {},
  ) {
    if (config.remove_space === true || config.do_lowercase_and_remove_accent === true) {
      throw new Error(
        'tokenizer_config.json asks for remove_space / do_lowercase_and_remove_accent, which are not supported',
      );
    }
    this.lib = new HfLibTokenizer(json, config);
    this.stages = this.lib as unknown as Stages;
    const model = isObject(json.model) ? json.model : {};
    this.byteLevel = usesByteLevel(json.pre_tokenizer) || usesByteLevel(json.decoder);
    this.kind = this.byteLevel && model.type === 'BPE' ? 'byte-level BPE' : String(model.type ?? 'unknown');
    this.lowercase = usesLowercase(json.normalizer);
    this.wordMark = metaspaceSplit(json.pre_tokenizer);
    this.stripPrefix =
      typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '';
    const decoder = byteLevelDecoder();
    this.units = this.byteLevel
      ? (s) => {
          const out: number[] = [];
          for (const ch of s) out.push(decoder.get(ch.codePointAt(0)!) ?? -1);
          return out;
        }
      : (s) => Array.from(s, (ch) => (ch === '▁' ? 0x20 : ch.codePointAt(0)!));
    this.added = (Array.isArray(json.added_tokens) ? json.added_tokens : []).filter(isObject).map((t) => ({
      id: Number(t.id),
      content: String(t.content),
      lstrip: t.lstrip === true,
      rstrip: t.rstrip === true,
      normalized: t.normalized === true,
      special: t.special === true,
    }));
    const rawContents: string[] = [];
    const normContents: string[] = [];
    for (const t of this.added) {
      this.addedByContent.set(t.content, t);
      if (t.special) this.specialIds.add(t.id);
      if (t.normalized && this.stages.normalizer) {
        const n = this.stages.normalizer(t.content);
        this.addedByContent.set(n, t);
        normContents.push(n);
        this.normContents.add(n);
      } else rawContents.push(t.content);
    }
    this.rawSplit = alternation(rawContents);
    this.normSplit = alternation(normContents);
    this.vocabLength = this.lib.get_vocab(true).size;
    // An id beyond the highest (holes in a vocabulary are rare): the table is as long as the largest id + 1.
    for (const id of this.lib.get_vocab(true).values()) this.vocabLength = Math.max(this.vocabLength, id + 1);

    const wrap = wrapTokens(json.post_processor);
    const tokenOf = (key: string): string | undefined => {
      const v = config[key];
      if (typeof v === 'string') return v;
      if (isObject(v) && typeof v.content === 'string') return v.content;
      return undefined;
    };
    const pick = (role: string, candidates: Array<string | undefined>): number => {
      for (const c of candidates) {
        const id = c === undefined ? undefined : this.lib.token_to_id(c);
        if (id !== undefined) return id;
      }
      const names = [...new Set(candidates.filter((c): c is string => c !== undefined))];
      throw new Error(
        `the tokenizer has no ${role} token (looked for ${names.map((n) => JSON.stringify(n)).join(', ')}); ` +
          'name it in tokenizer_config.json',
      );
    };
    const unkName = typeof model.unk_token === 'string' ? model.unk_token : undefined;
    const unkFromId =
      typeof model.unk_id === 'number' && Array.isArray(model.vocab)
        ? (model.vocab[model.unk_id] as unknown[] | undefined)?.[0]
        : undefined;
    const mask = pick('mask', [tokenOf('mask_token'), '<mask>', '[MASK]']);
    this.special = {
      pad: pick('padding', [tokenOf('pad_token'), '<pad>', '[PAD]']),
      unk: pick('unknown', [
        tokenOf('unk_token'),
        unkName,
        typeof unkFromId === 'string' ? unkFromId : undefined,
        '<unk>',
        '[UNK]',
      ]),
      cls: pick('classification (start)', [
        wrap.cls,
        tokenOf('cls_token'),
        tokenOf('bos_token'),
        '<s>',
        '[CLS]',
      ]),
      sep: pick('separator (end)', [wrap.sep, tokenOf('sep_token'), tokenOf('eos_token'), '</s>', '[SEP]']),
      mask,
    };
    this.maskToken = this.idToToken(mask);
  }

  get vocabSize(): number {
    return this.vocabLength;
  }

  idToToken(id: number): string {
    const t = this.lib.id_to_token(id);
    if (t === undefined)
      throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return t;
  }

  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  /**
   * How a token reads in text, in the WordPiece convention the editor uses (protocol/shared/wordpiece.ts): a token
   * that starts a word ("Ġsun", "▁sun") reads "sun"; one that continues a word ("ing") reads "##ing"; special
   * tokens read as themselves.
   */
  displayToken(id: number): string {
    const token = this.idToToken(id);
    // Special tokens, and a WordPiece model's pieces (their "##" spelling already says it), read as they are.
    if (this.specialIds.has(id) || this.stripPrefix) return token;
    const text = this.lib.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    const units = this.units(token);
    const startsWord = units.length > 0 && (this.byteLevel ? isSpaceByte(units[0]) : units[0] === 0x20);
    const trimmed = text.replace(/^\s+/, '');
    return startsWord || trimmed.length === 0 ? trimmed || token : `##${trimmed}`;
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): Encoding {
    const tokens: string[] = [];
    const offsets: Array<[number, number]> = [];
    const wordIds: Array<number | null> = [];
    let word = 0;
    for (const [section, index] of this.sections(text)) {
      if (section.added) {
        tokens.push(section.added.content);
        offsets.push([section.start, section.end]);
        wordIds.push(word++);
        continue;
      }
      const raw = text.slice(section.start, section.end);
      const normalized = this.stages.normalizer ? this.stages.normalizer(raw) : raw;
      if (!normalized) continue;
      const pieces: string[] = [];
      const words: number[] = [];
      for (const sub of splitOn(normalized, this.normSplit)) {
        if (sub.length === 0) continue;
        if (this.normContents.has(sub)) {
          pieces.push(sub);
          words.push(word++);
          continue;
        }
        const pre = this.stages.pre_tokenizer
          ? this.stages.pre_tokenizer(sub, { section_index: index })
          : [sub];
        for (const w of pre) {
          this.stages.model([w]).forEach((t, i) => {
            if (i > 0 && this.wordMark && t.startsWith(this.wordMark)) word++;
            pieces.push(t);
            words.push(word);
          });
          word++;
        }
      }
      const spans = alignSection(text, section.start, section.end, pieces, {
        normalizer: this.stages.normalizer,
        byteLevel: this.byteLevel,
        stripPrefix: this.stripPrefix,
        units: this.units,
        isSpecial: (piece) => this.addedByContent.has(piece) || piece === this.stages.model.unk_token,
      });
      for (let i = 0; i < pieces.length; i++) {
        tokens.push(pieces[i]);
        offsets.push(spans[i]);
        wordIds.push(words[i]);
      }
    }
    const add = opts?.addSpecialTokens ?? true;
    let outTokens = tokens;
    let lead = 0;
    if (this.stages.post_processor) {
      outTokens = this.stages.post_processor(tokens, null, add).tokens;
      lead = findRun(outTokens, tokens);
    }
    const enc: Encoding = { ids: [], tokens: [], offsets: [], wordIds: [] };
    const unk = this.special.unk;
    outTokens.forEach((t, i) => {
      const inner = i - lead;
      const own = inner >= 0 && inner < tokens.length;
      enc.ids.push(this.lib.token_to_id(t) ?? unk);
      enc.tokens.push(t);
      enc.offsets.push(own ? offsets[inner] : [0, 0]);
      enc.wordIds.push(own ? wordIds[inner] : null);
    });
    return enc;
  }

  /** Only the ids: the library's own encode (the training-data fast path; the same ids as encode()). */
  encodeIds(text: string, addSpecialTokens = true): number[] {
    return this.lib.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    if (ids.length === 0) return '';
    return this.lib.decode([...ids], { skip_special_tokens: opts?.skipSpecialTokens ?? false });
  }

  /** Writes dir/tokenizer.json as read, and dir/tokenizer_config.json when one came with it. */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await writeFileAtomicAsync(path.join(dir, 'tokenizer.json'), `${JSON.stringify(this.json)}\n`);
    if (Object.keys(this.config).length) {
      await writeFileAtomicAsync(
        path.join(dir, 'tokenizer_config.json'),
        `${JSON.stringify(this.config, null, 2)}\n`,
      );
    }
  }

  /** The raw text cut at added tokens (as the library cuts it), lstrip/rstrip applied; with section indices. */
  private sections(text: string): Array<[{ start: number; end: number; added?: Added }, number]> {
    const parts: Array<{ start: number; end: number; added?: Added }> = [];
    let pos = 0;
    if (this.rawSplit) {
      this.rawSplit.lastIndex = 0;
      for (let m = this.rawSplit.exec(text); m !== null; m = this.rawSplit.exec(text)) {
        if (m.index > pos) parts.push({ start: pos, end: m.index });
        parts.push({ start: m.index, end: m.index + m[0].length, added: this.addedByContent.get(m[0]) });
        pos = m.index + m[0].length;
      }
    }
    if (pos < text.length) parts.push({ start: pos, end: text.length });
    parts.forEach((p, i) => {
      if (!p.added) return;
      const prev = parts[i - 1];
      const next = parts[i + 1];
      if (p.added.lstrip && prev && !prev.added)
        while (prev.end > prev.start && /\s/.test(text[prev.end - 1])) prev.end--;
      if (p.added.rstrip && next && !next.added)
        while (next.start < next.end && /\s/.test(text[next.start])) next.start++;
    });
    return parts.map((p, i) => [p, i] as [typeof p, number]).filter(([p]) => p.end > p.start);
  }
}
