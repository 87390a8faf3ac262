/**
 * Benchmark output: one JSON line per measured figure (stdout, as it is measured) and a closing table.
 * A record carries the raw windows so that a reader can recompute the medians.
 */
export type Workload =
  | 'w1'
  | 'w2'
  | 'w3'
  | 'hover'
  | 'lens'
  | 'hoverprofile'
  | 'soak'
  | 'profile'
  | 'memory'
  | 'gpu'
  | 'save'
  | 'finetune'
  | 'quality';

export interface BenchRecord {
  workload: Workload;
  /** "ours", "pytorch", "huggingface-tokenizers", … */
  system: string;
  metric: string;
  value: number;
  unit: string;
  /** Raw samples (window throughputs or call latencies) behind the value. */
  samples?: number[];
  [extra: string]: unknown;
}

/** One row of the closing table: workload, metric, ours, reference, ratio or note. */
export type TableRow = [string, string, string, string, string];

export interface Reporter {
  record(r: BenchRecord): void;
  row(r: TableRow): void;
  /** Free-form context (thread settings, OpenBLAS kernel): a JSON line with workload "info". */
  info(what: string, data: Record<string, unknown>): void;
  table(): string;
}

/** rowsAsJson: a child bench process hands its table rows to the parent as JSON lines ("table-row"). */
export function createReporter(out: (line: string) => void, opts: { rowsAsJson?: boolean } = {}): Reporter {
  const rows: TableRow[] = [];
  return {
    record: (r) => out(JSON.stringify(r)),
    row: (r) => (opts.rowsAsJson ? out(JSON.stringify({ workload: 'table-row', row: r })) : rows.push(r)),
    info: (what, data) => out(JSON.stringify({ workload: 'info', what, ...data })),
    table: () => formatTable(['workload', 'metric', 'ours', 'reference', 'ratio / note'], rows),
  };
}

/** A Markdown table (readable in a terminal, pasteable into docs/benchmarks.md). */
export function formatTable(header: string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** 12345.6 → "12,346"; 5.05 → "5.05". */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits);
}
