/** Writes dir/tokenizer.json and dir/vocab.txt, each through a temporary file and a rename. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { WordPieceConfig } from './config';
import { toTokenizerJson, toVocabTxt } from './formats';

export async function saveTokenizer(config: WordPieceConfig, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(
    path.join(dir, 'tokenizer.json'),
    `${JSON.stringify(toTokenizerJson(config), null, 2)}\n`,
  );
  await writeAtomic(path.join(dir, 'vocab.txt'), toVocabTxt(config));
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
