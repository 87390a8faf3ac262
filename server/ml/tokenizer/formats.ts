/**
 * The two files a tokenizer is saved in and loaded from:
 * - tokenizer.json, Hugging Face format: BertNormalizer, BertPreTokenizer, WordPiece model, "[CLS] $A [SEP]"
 *   template post-processor, WordPiece decoder, the special tokens as added tokens;
 * - vocab.txt, BERT format: one piece per line, the line number is the id.
 */
import { SPECIAL_TOKENS, type AddedToken, type WordPieceConfig } from './config';

export function toTokenizerJson(c: WordPieceConfig): object {
  const idOf = (t: string): number => c.addedTokens.find((a) => a.content === t)?.id ?? c.vocab.indexOf(t);
  const vocab: Record<string, number> = {};
  c.vocab.forEach((piece, id) => (vocab[piece] = id));
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: c.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: c.normalizer.cleanText,
      handle_chinese_chars: c.normalizer.handleChineseChars,
      strip_accents: c.normalizer.stripAccents,
      lowercase: c.normalizer.lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [
        special('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        special('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [idOf(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: c.continuingSubwordPrefix, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: c.unkToken,
      continuing_subword_prefix: c.continuingSubwordPrefix,
      max_input_chars_per_word: c.maxInputCharsPerWord,
      vocab,
    },
  };
}

export function toVocabTxt(c: WordPieceConfig): string {
  return c.vocab.map((p) => `${p}\n`).join('');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A tokenizer.json our WordPieceTokenizer computes exactly (WordPiece model, BertNormalizer or none,
 * BertPreTokenizer); any other goes to HfTokenizer.
 */
export function isBertWordPieceJson(raw: unknown): boolean {
  if (!isObject(raw) || !isObject(raw.model) || raw.model.type !== 'WordPiece') return false;
  const n = raw.normalizer;
  const pre = raw.pre_tokenizer;
  return (
    (n === null || n === undefined || (isObject(n) && n.type === 'BertNormalizer')) &&
    isObject(pre) &&
    pre.type === 'BertPreTokenizer'
  );
}

/** Reads a Hugging Face tokenizer.json holding a BERT WordPiece tokenizer; throws naming what is wrong. */
export function parseTokenizerJson(raw: unknown, source: string): WordPieceConfig {
  const bad = (what: string): Error => new Error(`${source} is not a BERT WordPiece tokenizer.json: ${what}`);
  if (!isObject(raw)) throw bad('the top level is not a JSON object');
  const model = raw.model;
  if (!isObject(model) || model.type !== 'WordPiece') {
    throw bad(
      `model.type is ${isObject(model) ? JSON.stringify(model.type) : 'missing'}, expected "WordPiece"`,
    );
  }
  if (!isObject(model.vocab)) throw bad('model.vocab is missing');
  const vocab: string[] = [];
  for (const [piece, id] of Object.entries(model.vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      throw bad(`vocab id of "${piece}" is not a non-negative integer`);
    vocab[id as number] = piece;
  }
  for (let i = 0; i < vocab.length; i++) if (vocab[i] === undefined) throw bad(`no vocab entry has id ${i}`);
  const n = raw.normalizer;
  if (n !== null && n !== undefined && (!isObject(n) || n.type !== 'BertNormalizer')) {
    throw bad(
      `normalizer.type ${JSON.stringify(isObject(n) ? n.type : n)} is not supported (only BertNormalizer)`,
    );
  }
  const pre = raw.pre_tokenizer;
  if (!isObject(pre) || pre.type !== 'BertPreTokenizer') {
    throw bad(`pre_tokenizer must be {"type": "BertPreTokenizer"}`);
  }
  const bool = (v: unknown, dflt: boolean): boolean => (typeof v === 'boolean' ? v : dflt);
  const addedTokens: AddedToken[] = [];
  if (Array.isArray(raw.added_tokens)) {
    for (const t of raw.added_tokens as unknown[]) {
      if (!isObject(t) || typeof t.content !== 'string' || !Number.isInteger(t.id)) {
        throw bad('an added_tokens entry lacks "id" or "content"');
      }
      addedTokens.push({ id: t.id as number, content: t.content, special: t.special === true });
      if (vocab[t.id as number] === undefined) vocab[t.id as number] = t.content;
    }
  }
  return {
    vocab,
    unkToken: typeof model.unk_token === 'string' ? model.unk_token : '[UNK]',
    continuingSubwordPrefix:
      typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##',
    maxInputCharsPerWord: Number.isInteger(model.max_input_chars_per_word)
      ? (model.max_input_chars_per_word as number)
      : 100,
    normalizer: isObject(n)
      ? {
          cleanText: bool(n.clean_text, true),
          handleChineseChars: bool(n.handle_chinese_chars, true),
          stripAccents: typeof n.strip_accents === 'boolean' ? n.strip_accents : null,
          lowercase: bool(n.lowercase, true),
        }
      : { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false },
    addedTokens,
  };
}

/**
 * Reads a BERT vocab.txt (ids = line numbers, trailing whitespace trimmed like Hugging Face does). Casing is not
 * stored in the file: `lowercase` defaults to true unless some ordinary piece holds an upper-case letter.
 */
export function parseVocabTxt(
  text: string,
  source: string,
  opts: { lowercase?: boolean } = {},
): WordPieceConfig {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab = lines.map((l) => l.trimEnd());
  if (vocab.length === 0) throw new Error(`${source} is empty: a vocab.txt holds one word piece per line`);
  const missing = SPECIAL_TOKENS.filter((t) => !vocab.includes(t));
  if (missing.length) {
    throw new Error(
      `${source} lacks the special token${missing.length > 1 ? 's' : ''} ${missing.join(' ')}: ` +
        'a BERT vocab.txt has [PAD] [UNK] [CLS] [SEP] [MASK] lines',
    );
  }
  const cased = vocab.some((p) => !/^\[.*\]$/.test(p) && p !== p.toLowerCase());
  const lowercase = opts.lowercase ?? !cased;
  return {
    vocab,
    unkToken: '[UNK]',
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
    normalizer: { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase },
    addedTokens: SPECIAL_TOKENS.map((t) => ({ id: vocab.lastIndexOf(t), content: t, special: true })),
  };
}
