/** Writes dir/tokenizer.json and dir/vocab.txt, each atomically (writeFileAtomicAsync). */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicAsync } from '../atomicWrite';
import type { WordPieceConfig } from './config';
import { toTokenizerJson, toVocabTxt } from './formats';

export async function saveTokenizer(config: WordPieceConfig, dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomicAsync(
    path.join(dir, 'tokenizer.json'),
    `${JSON.stringify(toTokenizerJson(config), null, 2)}\n`,
  );
  await writeFileAtomicAsync(path.join(dir, 'vocab.txt'), toVocabTxt(config));
}
