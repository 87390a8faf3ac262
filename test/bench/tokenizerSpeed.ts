/**
 * W3 — tokenizer benchmark (docs/benchmarks.md): WordPiece training time for an 8k vocabulary on 10 MB of text,
 * and encoding throughput in MB/s (UTF-8 bytes) beside Hugging Face's native `tokenizers` on the same text and the
 * same tokenizer.json, both on one thread. The text is the bundled sample corpus repeated to 10 MB.
 * Run: node --import tsx test/bench/tokenizerSpeed.ts   or   npm run bench -- w3   (one JSON line per figure)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { CorpusReader } from '../../server/ml/corpus';
import { trainWordPiece, type WordPieceTokenizer } from '../../server/ml/tokenizer';
import type { BenchRecord } from './report';

const SAMPLE_CORPUS = path.resolve(__dirname, '../fixtures/sample-corpus');
const TARGET_BYTES = 10e6;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function tenMegabytes(): Promise<string[]> {
  const texts: string[] = [];
  for await (const t of new CorpusReader({ roots: [SAMPLE_CORPUS] }).texts()) texts.push(t);
  const once = texts.join('\n');
  const parts: string[] = [];
  let bytes = 0;
  while (bytes < TARGET_BYTES) {
    parts.push(once);
    bytes += Buffer.byteLength(once);
  }
  const all = parts.join('\n');
  // Cut at a line end once past 10 MB of UTF-8.
  return all.slice(0, Buffer.from(all).subarray(0, TARGET_BYTES).toString('utf8').length).split('\n');
}

/** Wall-clock and CPU seconds per pass over all lines: one warm-up pass, then `passes` timed ones. */
async function time(
  passes: number,
  fn: () => Promise<void> | void,
): Promise<{ wall: number[]; cpu: number[] }> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < passes; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

export interface W3Options {
  /** Training runs (the median is reported). */
  trainRuns?: number;
  /** Timed encoding passes over the whole text, after one warm-up pass. */
  encodePasses?: number;
  /** Accepted for `npm run bench` (records are printed by the caller either way). */
  json?: boolean;
}

/** Runs W3 and returns one record per figure (see test/bench/report.ts). */
export async function runW3(opts: W3Options = {}): Promise<BenchRecord[]> {
  // One thread for HF too (its batch encoder would otherwise use every core).
  process.env.TOKENIZERS_PARALLELISM = 'false';
  process.env.RAYON_NUM_THREADS = '1';
  const hf = createRequire(__filename)('tokenizers') as typeof import('tokenizers');

  const lines = await tenMegabytes();
  const text = lines.join('\n');
  const mb = Buffer.byteLength(text) / 1e6;
  const common = {
    textMB: round(mb),
    lines: lines.length,
    node: process.version,
    date: new Date().toISOString(),
  };

  const trainSeconds: number[] = [];
  let tok: WordPieceTokenizer | undefined;
  for (let i = 0; i < (opts.trainRuns ?? 3); i++) {
    const t0 = process.hrtime.bigint();
    tok = await trainWordPiece([text], { vocabSize: 8192 });
    trainSeconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-w3-'));
  await tok!.save(dir);
  const theirs = hf.Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));

  const passes = opts.encodePasses ?? 3;
  const ours = await time(passes, () => {
    for (const l of lines) tok!.encode(l);
  });
  const oursIds = await time(passes, () => {
    for (const l of lines) tok!.encodeIds(l);
  });
  const batch = 1000;
  const hfTimes = await time(passes, async () => {
    for (let i = 0; i < lines.length; i += batch) await theirs.encodeBatch(lines.slice(i, i + batch));
  });
  // Sanity: the two agree on a sample of lines (the parity tests check every line of varied text).
  let agree = 0;
  const sample = lines.filter((_, i) => i % 97 === 0);
  const encs = await theirs.encodeBatch(sample);
  sample.forEach(
    (l, i) => (agree += JSON.stringify(encs[i].getIds()) === JSON.stringify(tok!.encodeIds(l)) ? 1 : 0),
  );
  fs.rmSync(dir, { recursive: true, force: true });

  const mbps = (secs: number[]) => ({
    value: round(mb / median(secs)),
    samples: secs.map((s) => round(mb / s)),
  });
  const enc = (system: string, metric: string, t: { wall: number[]; cpu: number[] }): BenchRecord[] => [
    // Wall clock: what a user waits (on a shared machine it includes time the CPU ran other processes).
    { workload: 'w3', system, metric, unit: 'MB/s', ...mbps(t.wall), clock: 'wall', ...common },
    // CPU time of this process (one thread each): robust to other load on the machine.
    {
      workload: 'w3',
      system,
      metric: `${metric} (cpu time)`,
      unit: 'MB/s',
      ...mbps(t.cpu),
      clock: 'cpu',
      ...common,
    },
  ];
  return [
    {
      workload: 'w3',
      system: 'ours',
      metric: 'train 8k WordPiece on 10 MB',
      value: round(median(trainSeconds)),
      unit: 's',
      samples: trainSeconds.map((s) => round(s)),
      vocabSize: tok!.vocabSize,
      ...common,
    },
    ...enc('ours', 'encode (ids, tokens, offsets, word ids)', ours),
    ...enc('ours', 'encode ids only', oursIds),
    ...enc('huggingface-tokenizers', 'encode (encodeBatch, 1 thread)', hfTimes),
    {
      workload: 'w3',
      system: 'ours',
      metric: 'sample lines with ids equal to HF',
      value: agree,
      unit: `of ${sample.length}`,
      ...common,
    },
  ];
}

if (require.main === module) {
  runW3().then(
    (records) => {
      for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`w3: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
