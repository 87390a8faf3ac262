/**
 * The varied text of the Hugging Face parity tests (> 20,000 lines), built from files in the repository so a fresh
 * clone sees the same lines: test/fixtures/tokenizer/parity-lines.txt (localised messages in 13 languages, README
 * prose, code comments), a stride sample of the sample corpus (KJV English, Reina-Valera Spanish, Tang and Song
 * poems), and generated lines that mix emoji, URLs, numbers, odd whitespace, control characters and special tokens.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../../../../server/ml/data/rng';

export const REPO = path.resolve(__dirname, '../../../../..');
export const SAMPLE_CORPUS = path.join(REPO, 'test/fixtures/sample-corpus');

function sampleCorpusLines(dir: string, every: number): string[] {
  const out: string[] = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i += every) if (lines[i].trim()) out.push(lines[i]);
  }
  return out;
}

const PARTS = [
  // emoji: plain, ZWJ families, skin tones, flags, keycaps, variation selectors
  '😀',
  '🎉',
  '👍🏽',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🇯🇵',
  '🇪🇺',
  '1️⃣',
  '❤️',
  '☕',
  '🥰',
  '🫠',
  '🧑‍💻',
  '✈︎',
  // URLs, e-mail, paths, numbers
  'https://example.org/path/to?q=1&lang=en#frag',
  'http://localhost:8080/api/v1/users/42',
  'www.example.com',
  'ftp://files.example.net/pub/file-1.2.3.tar.gz',
  'user.name+tag@example.co.uk',
  'C:\\Users\\me\\file.txt',
  '/usr/local/bin/node',
  '3.14159',
  '1,234,567.89',
  '−42',
  '+1 (555) 010-9999',
  '2026-11-29T08:00:00Z',
  '0x1F600',
  '1e-9',
  '12%',
  '$19.99',
  '€5,00',
  '¥1000',
  '½',
  '²³',
  '①②③',
  '١٢٣',
  '१२३',
  // words in many scripts and forms
  'naïve',
  'café',
  'Ångström',
  'São Paulo',
  'Łódź',
  'Žluťoučký kůň',
  'straße',
  'STRASSE',
  'İstanbul',
  'ıi',
  'ΣΊΣΥΦΟΣ',
  'Σ',
  'ὀδυσσεύς',
  'Москва',
  'Ёлка',
  'עברית',
  'العربية',
  'हिन्दी',
  'ภาษาไทย',
  '한국어',
  '日本語の文章',
  'ｶﾀｶﾅ',
  'ＡＢＣ１２３',
  '中文字符',
  '𠀀𠀁',
  '丽',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'ﬁnance',
  'Ǆemal',
  'e\u0301',
  'n\u0303o',
  'Å',
  // odd whitespace, controls, format characters
  '\u00a0',
  '\u2003',
  '\u3000',
  '\t',
  '\u2028',
  '\u0085',
  '\u000b',
  '\u0001',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\ufffd',
  '\u202e',
  '\ue000',
  '\u{e0041}',
  '\ud800',
  'x\udc00y',
  // special tokens and look-alikes
  '[MASK]',
  '[CLS]',
  '[SEP]',
  '[PAD]',
  '[UNK]',
  'x[MASK]y',
  '[mask]',
  '[ MASK ]',
  '##ing',
  '#hashtag',
  '@mention',
  // code
  'foo_bar()',
  'a->b',
  'x += 1;',
  '<div class="a">',
  '{"key": [1, 2]}',
  'i++',
  '`code`',
  '**bold**',
  'Supercalifragilisticexpialidocious'.repeat(4),
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  'and',
  'of',
  'to',
  'in',
  'is',
  'tokenizer',
];

/** Lines mixing the parts above with random separators. */
export function generatedLines(n: number, seed = 7): string[] {
  const r = mulberry32(seed);
  const seps = [' ', ' ', ' ', '', ', ', '. ', '\t', '  ', '-', '/'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(r() * 12);
    let line = '';
    for (let j = 0; j < k; j++)
      line += PARTS[Math.floor(r() * PARTS.length)] + seps[Math.floor(r() * seps.length)];
    out.push(line);
  }
  return out;
}

export function parityLines(): string[] {
  const fixture = fs
    .readFileSync(path.join(REPO, 'test/fixtures/tokenizer/parity-lines.txt'), 'utf8')
    .split('\n');
  return [
    ...fixture.filter((l) => l.length > 0),
    ...sampleCorpusLines(path.join(SAMPLE_CORPUS, 'en'), 5),
    ...sampleCorpusLines(path.join(SAMPLE_CORPUS, 'es'), 3),
    ...sampleCorpusLines(path.join(SAMPLE_CORPUS, 'zh'), 1),
    ...generatedLines(4000),
  ];
}
