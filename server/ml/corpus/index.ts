/**
 * Corpus: which files are read (roots, include/exclude globs, always skipping .git, node_modules and .mlm), how
 * they are decoded (UTF-8 with or without BOM, UTF-16 with BOM, CRLF → LF), which are skipped and why, and the
 * report of it all. Documents stream one file at a time. See docs/tokenizer.md.
 */
export { CorpusReader, type CorpusOptions } from './reader';
export { readFileAsText, decodeBytes, DEFAULT_MAX_FILE_BYTES, type ReadResult } from './decode';
export {
  formatCorpusReport,
  emptyCorpusReport,
  totalSkipped,
  SKIP_REASONS,
  type CorpusReport,
  type SkipReason,
  type SkippedFiles,
  type SkipExample,
} from './report';
export { ALWAYS_EXCLUDED, DEFAULT_INCLUDE } from './walk';
