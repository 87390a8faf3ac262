/** Streams the documents of a corpus, one file at a time, and keeps the report of what was read and skipped. */
import { createHash } from 'node:crypto';
import type { CorpusDocument } from '../types';
import { DEFAULT_MAX_FILE_BYTES, readFileAsText } from './decode';
import { emptyCorpusReport, recordSkip, type CorpusReport } from './report';
import { walkCorpus } from './walk';

export interface CorpusOptions {
  /** Directories, files or globs (relative to cwd). */
  roots: string[];
  /** Globs matched against paths relative to each directory root (default ['**\/*.txt', '**\/*.md']). */
  include?: string[];
  exclude?: string[];
  /** Files larger than this are skipped as too large (default 50 MB). */
  maxFileBytes?: number;
  /** Base for relative roots (default process.cwd()). */
  cwd?: string;
}

export class CorpusReader {
  /** Updated as the corpus is read; complete once documents() has finished. */
  readonly report: CorpusReport = emptyCorpusReport();

  constructor(private readonly opts: CorpusOptions) {}

  /**
   * Absolute paths of the files selected (walk-time skips such as symlink loops go into the report). Each call
   * walks again: use either files() or documents() on one reader, or the report counts walk skips twice.
   */
  async *files(): AsyncGenerator<string> {
    for await (const f of this.walk()) yield f.path;
  }

  /** The decoded documents, one file at a time. Unusable files are skipped and counted in the report. */
  async *documents(): AsyncGenerator<CorpusDocument> {
    const max = this.opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    for await (const f of this.walk()) {
      const r = await readFileAsText(f.path, max);
      if ('skip' in r) {
        recordSkip(this.report, r.skip, f.path, r.detail);
        continue;
      }
      this.report.filesRead++;
      this.report.bytes += r.bytes;
      this.report.characters += countCodePoints(r.text);
      this.report.lines += countLines(r.text);
      const hash = createHash('sha256').update(r.text).digest('hex').slice(0, 16);
      yield { id: `${f.rel}#${hash}`, path: f.path, text: r.text };
    }
  }

  /** Only the texts (e.g. to train a tokenizer). */
  async *texts(): AsyncGenerator<string> {
    for await (const d of this.documents()) yield d.text;
  }

  private walk() {
    return walkCorpus(
      {
        roots: this.opts.roots,
        include: this.opts.include,
        exclude: this.opts.exclude,
        cwd: this.opts.cwd ?? process.cwd(),
      },
      this.report,
    );
  }
}

function countCodePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = text.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

function countLines(text: string): number {
  if (!text.length) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}
