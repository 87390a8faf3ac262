/**
 * Labelled data for fine-tuning, read from:
 *   - CSV / TSV with a header row (`.csv`, `.tsv`/`.tab`), RFC 4180 quoting (delimited.ts);
 *   - JSONL (`.jsonl`/`.ndjson`): one JSON object per line;
 *   - a folder DIR/<label>/*.txt: one example per file, the sub-folder's name is its label;
 *   - CoNLL-style files for token classification (`.conll`, `.bio`, `.iob`, `.txt` with --task token): one
 *     `word<TAB>tag` per line (or space-separated columns: the first is the word, the last the tag), a blank line
 *     between sentences, `-DOCSTART-` lines ignored.
 * Columns are `text`, optional `text_pair`, and `label` (else `labels`); other names by option. A row that cannot
 * be used is skipped with its file:line and the reason; a file with no usable row is one error.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { decodeBytes } from '../corpus/decode';
import { INVALID_UTF8, readConll, readDelimited, readJsonl } from './rows';
import {
  FinetuneDataError,
  type DataFormat,
  type LabelledData,
  type ReadOptions,
  type TaskKind,
} from './types';

export { FinetuneDataError, type DataFormat, type LabelledData, type ReadOptions } from './types';

/** The format a path is read as: folders are DIR/<label>/*.txt, files go by extension (token task: CoNLL). */
export function detectFormat(file: string, task: TaskKind): DataFormat {
  if (existsSync(file) && statSync(file).isDirectory()) return 'folder';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return task === 'token' ? 'conll' : 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (['.conll', '.conllu', '.bio', '.iob', '.iob2'].includes(ext) || task === 'token') return 'conll';
  throw new FinetuneDataError(
    `${file}: cannot tell the format from the extension "${ext}"; use .csv, .tsv, .jsonl, a .conll file ` +
      `(token classification) or a folder DIR/<label>/*.txt`,
  );
}

/** Reads one labelled file or folder. Throws FinetuneDataError when it cannot be read or has no usable row. */
export async function readLabelledData(file: string, opts: ReadOptions): Promise<LabelledData> {
  if (!existsSync(file)) throw new FinetuneDataError(`${file} does not exist: give a labelled data file`);
  const format = opts.format ?? detectFormat(file, opts.task);
  if (opts.task === 'token' && format !== 'conll' && format !== 'jsonl') {
    throw new FinetuneDataError(
      `${file}: token classification reads CoNLL-style "word<TAB>tag" files or JSONL with "tokens" and "tags" arrays, not ${format}`,
    );
  }
  if (opts.task !== 'token' && format === 'conll') {
    throw new FinetuneDataError(
      `${file}: a CoNLL file holds one tag per word; use --task token, or give a CSV/TSV/JSONL file for ${opts.task}`,
    );
  }
  const result =
    format === 'folder'
      ? await readFolder(file, opts)
      : readText(file, format, await fs.readFile(file), opts);
  if (!result.examples.length) {
    const reasons = result.bad
      .slice(0, 3)
      .map((b) => `${b.where}: ${b.reason}`)
      .join('; ');
    throw new FinetuneDataError(
      `${file} has no usable rows` +
        (result.bad.length
          ? ` (${result.bad.length} skipped — ${reasons}${result.bad.length > 3 ? '; …' : ''})`
          : ' (it is empty)'),
    );
  }
  return result;
}

/** 1-based numbers of the lines whose bytes are not valid UTF-8. */
function invalidUtf8Lines(bytes: Buffer): Set<number> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const bad = new Set<number>();
  let start = 0;
  let line = 1;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      bad.add(line);
    }
    if (nl < 0) break;
    start = nl + 1;
    line++;
  }
  return bad;
}

function readText(file: string, format: DataFormat, bytes: Buffer, opts: ReadOptions): LabelledData {
  const body =
    bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
      ? bytes.subarray(3)
      : bytes;
  const badLines = invalidUtf8Lines(body);
  const text = new TextDecoder('utf-8').decode(body);
  const out: LabelledData = { file, format, examples: [], bad: [] };
  if (format === 'jsonl') readJsonl(file, text, badLines, opts, out);
  else if (format === 'conll') readConll(file, text, badLines, out);
  else readDelimited(file, text, format === 'csv' ? ',' : '\t', badLines, opts, out);
  return out;
}

async function readFolder(dir: string, opts: ReadOptions): Promise<LabelledData> {
  if (opts.task !== 'classification') {
    throw new FinetuneDataError(
      `${dir}: a DIR/<label>/*.txt folder holds one label per text; it is for --task classification`,
    );
  }
  const out: LabelledData = { file: dir, format: 'folder', examples: [], bad: [] };
  const labels = (await fs.readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (!labels.length) {
    throw new FinetuneDataError(
      `${dir} has no sub-folders: lay it out as DIR/<label>/*.txt, one folder per label`,
    );
  }
  for (const label of labels) {
    const files = (await fs.readdir(path.join(dir, label), { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.txt'))
      .map((e) => e.name)
      .sort();
    for (const name of files) {
      const p = path.join(dir, label, name);
      const r = decodeBytes(await fs.readFile(p));
      if ('skip' in r) {
        out.bad.push({
          where: p,
          reason: r.skip === 'invalid-utf8' ? `${INVALID_UTF8} (${r.detail})` : r.detail,
        });
        continue;
      }
      if (!r.text.trim()) {
        out.bad.push({ where: p, reason: 'empty text' });
        continue;
      }
      out.examples.push({ where: p, text: r.text.trim(), labels: [label] });
    }
  }
  return out;
}
