/**
 * Loads a tokenizer from a directory (tokenizer.json preferred, else vocab.txt) or from either file: a BERT
 * WordPiece tokenizer.json or vocab.txt → our WordPieceTokenizer; any other tokenizer.json (byte-level BPE,
 * Unigram, …) → HfTokenizer, with the tokenizer_config.json beside it (mask, pad and unknown tokens).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isBertWordPieceJson, parseTokenizerJson, parseVocabTxt } from './formats';
import { HfTokenizer } from './hfTokenizer';
import { WordPieceTokenizer } from './wordpiece';

/** Every tokenizer this product loads. */
export type AnyTokenizer = WordPieceTokenizer | HfTokenizer;

export interface LoadTokenizerOptions {
  /** For a bare vocab.txt only (it does not record casing): overrides the guess from the vocabulary. */
  lowercase?: boolean;
}

export async function loadTokenizer(
  pathOrDir: string,
  opts: LoadTokenizerOptions = {},
): Promise<AnyTokenizer> {
  let file = pathOrDir;
  const stat = await fs.stat(pathOrDir).catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      `cannot read tokenizer ${pathOrDir}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`,
    );
  });
  if (stat.isDirectory()) {
    const candidates = ['tokenizer.json', 'vocab.txt'].map((f) => path.join(pathOrDir, f));
    const found = [];
    for (const c of candidates)
      if (
        await fs.stat(c).then(
          () => true,
          () => false,
        )
      )
        found.push(c);
    if (!found.length) {
      throw new Error(
        `${pathOrDir} holds neither tokenizer.json nor vocab.txt; train one with "mlm tokenizer train"`,
      );
    }
    file = found[0];
  }
  const text = await fs.readFile(file, 'utf8').catch((err: Error) => {
    throw new Error(`cannot read tokenizer file ${file}: ${err.message}`);
  });
  if (file.endsWith('.json')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isBertWordPieceJson(raw)) {
      const configFile = path.join(path.dirname(file), 'tokenizer_config.json');
      const config = await fs.readFile(configFile, 'utf8').then(
        (t) => JSON.parse(t) as Record<string, unknown>,
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return {};
          throw new Error(`cannot read ${configFile}: ${err.message}`);
        },
      );
      try {
        return new HfTokenizer(raw as Record<string, unknown>, config);
      } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
      }
    }
    const config = parseTokenizerJson(raw, file);
    try {
      return new WordPieceTokenizer(config);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }
  try {
    return new WordPieceTokenizer(parseVocabTxt(text, file, opts));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
