/** What a corpus read found: files read, files skipped per reason (with examples), and the size of the text. */

export type SkipReason = 'binary' | 'too-large' | 'invalid-utf8' | 'unreadable' | 'symlink-loop' | 'vanished';

export const SKIP_REASONS: readonly SkipReason[] = [
  'binary',
  'too-large',
  'invalid-utf8',
  'unreadable',
  'symlink-loop',
  'vanished',
];

export interface SkipExample {
  path: string;
  detail: string;
}

export interface SkippedFiles {
  count: number;
  /** Up to MAX_EXAMPLES, in the order met. */
  examples: SkipExample[];
}

export interface CorpusReport {
  filesRead: number;
  skipped: Record<SkipReason, SkippedFiles>;
  /** Characters (Unicode code points) of the decoded, normalised text. */
  characters: number;
  /** Lines: "\n" count, plus one for a last line without "\n". */
  lines: number;
  /** Bytes of the files read (on disk, before decoding). */
  bytes: number;
}

export const MAX_EXAMPLES = 5;

export function emptyCorpusReport(): CorpusReport {
  const skipped = {} as Record<SkipReason, SkippedFiles>;
  for (const r of SKIP_REASONS) skipped[r] = { count: 0, examples: [] };
  return { filesRead: 0, skipped, characters: 0, lines: 0, bytes: 0 };
}

export function recordSkip(report: CorpusReport, reason: SkipReason, path: string, detail: string): void {
  const s = report.skipped[reason];
  s.count++;
  if (s.examples.length < MAX_EXAMPLES) s.examples.push({ path, detail });
}

export function totalSkipped(report: CorpusReport): number {
  return SKIP_REASONS.reduce((n, r) => n + report.skipped[r].count, 0);
}

const LABELS: Record<SkipReason, string> = {
  binary: 'binary (NUL bytes)',
  'too-large': 'over the size cap',
  'invalid-utf8': 'invalid UTF-8/UTF-16',
  unreadable: 'unreadable',
  'symlink-loop': 'symlink loops',
  vanished: 'vanished while reading',
};

/** A human-readable multi-line summary (CLI output, logs). */
export function formatCorpusReport(report: CorpusReport): string {
  const size =
    report.bytes < 1e6
      ? `${(report.bytes / 1e3).toFixed(1)} kB`
      : `${(report.bytes / 1e6).toFixed(report.bytes < 1e7 ? 2 : 1)} MB`;
  const lines = [
    `corpus: ${report.filesRead} file${report.filesRead === 1 ? '' : 's'} read, ${size}, ` +
      `${report.characters.toLocaleString('en-US')} characters, ${report.lines.toLocaleString('en-US')} lines`,
  ];
  const skipped = totalSkipped(report);
  if (skipped) {
    lines.push(`skipped ${skipped} file${skipped === 1 ? '' : 's'}:`);
    for (const r of SKIP_REASONS) {
      const s = report.skipped[r];
      if (!s.count) continue;
      lines.push(`  ${LABELS[r]}: ${s.count}`);
      for (const e of s.examples) lines.push(`    ${e.path} — ${e.detail}`);
      if (s.count > s.examples.length) lines.push(`    … and ${s.count - s.examples.length} more`);
    }
  }
  return lines.join('\n');
}
