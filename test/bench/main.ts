/**
 * `npm run bench -- w1|w2|w3|all|profile|soak|gpu|finetune|quality [--json] [options]` — the benchmarks of
 * docs/benchmarks.md. Prints one JSON line per figure as it is measured, then (without --json)
 * a table. Ours and the PyTorch reference are measured in this one invocation, in interleaved windows.
 * Benchmarks, not tests: nothing here passes or fails on a number.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { initBackend, type BackendChoice } from '../../server/ml/backend';
import { trainingThreads } from '../../server/ml/train/parallel/threads';
import { FINETUNE_DEFAULTS, runFinetuneBench } from './finetuneTorch';
import { GPU_DEFAULTS, runGpu } from './gpuThroughput';
import { HOVER_DEFAULTS, runHover } from './hoverLatency';
import { LENS_DEFAULTS, runLens } from './lensLatency';
import { runHoverProfile } from './hoverProfile';
import { runProfile } from './kernelProfile';
import { createReporter, fmt, type BenchRecord, type Reporter, type TableRow } from './report';
import { MEMORY_DEFAULTS, runMemory } from './trainingMemory';
import { runQuality } from './qualityBench';
import { QUALITY_VARIANTS } from './qualityVariants';
import { runSoak, SOAK_DEFAULTS } from './memorySoak';
import { runSave, SAVE_DEFAULTS } from './checkpointSave';
import { TorchReference } from './torchRef';
import { runW1, W1_DEFAULTS } from './trainingThroughput';
import { runW2, W2_DEFAULTS } from './fillMaskLatency';
import { runW3 } from './tokenizerSpeed';
import { USAGE } from './usage';

interface Args {
  workloads: string[];
  flags: Map<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const workloads: string[] = [];
  const flags = new Map<string, string | true>();
  const valued = new Set([
    '--backend',
    '--threads',
    '--data-parallel',
    '--windows',
    '--dropout',
    '--steps',
    '--preset',
    '--peak-gflops',
    '--rows',
    '--seq-len',
    '--minutes',
    '--variants',
    '--saves',
    '--hovers',
    '--init',
    '--seeds',
    '--epochs',
    '--lr',
    '--baseline',
  ]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (valued.has(a)) {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      flags.set(a, argv[++i]);
    } else if (a.startsWith('--')) flags.set(a, true);
    else workloads.push(a);
  }
  return { workloads, flags };
}

function num(flags: Map<string, string | true>, name: string, fallback: number): number {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new Error(`${name} must be a number, got "${String(v)}"`);
  return n;
}

/** W3 (test/bench/tokenizerSpeed.ts, the tokenizer side): its records, plus one table row each. */
async function w3(json: boolean, out: Reporter): Promise<void> {
  for (const r of await runW3({ json })) {
    out.record(r);
    const ours = r.system === 'ours';
    const value = `${fmt(r.value)} ${r.unit}`;
    out.row(['W3', r.metric, ours ? value : '', ours ? '' : value, ours ? '' : r.system]);
  }
}

/** Runs `w2 --threads 1` in a child process and passes its JSON lines and table rows on. */
function w2InChild(noTorch: boolean, out: Reporter): void {
  const args = ['--import', 'tsx', __filename, 'w2', '--threads', '1', '--json', '--rows-json'];
  const r = spawnSync(process.execPath, noTorch ? [...args, '--no-torch'] : args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0)
    throw new Error(`the W2 child process failed (exit ${r.status ?? r.signal}); see above`);
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const j = JSON.parse(line) as BenchRecord & { row?: TableRow; what?: string };
    if ((j.workload as string) === 'table-row') out.row(j.row!);
    else if ((j.workload as string) === 'info') {
      const { workload: _w, what, ...data } = j;
      out.info(`w2-child-${what ?? ''}`, data);
    } else out.record(j);
  }
}

async function main(argv: string[]): Promise<number> {
  const { workloads: asked, flags } = parseArgs(argv);
  if (!asked.length || flags.has('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return asked.length ? 0 : 2;
  }
  const known = [
    'w1',
    'w2',
    'w3',
    'hover',
    'lens',
    'hoverprofile',
    'all',
    'profile',
    'soak',
    'memory',
    'gpu',
    'save',
    'finetune',
    'quality',
  ];
  const bad = asked.filter((w) => !known.includes(w));
  if (bad.length) throw new Error(`unknown workload ${bad.join(', ')}\n${USAGE}`);
  const workloads = new Set(asked.flatMap((w) => (w === 'all' ? ['w1', 'w2', 'hover', 'w3'] : [w])));
  const json = flags.has('--json');
  const out = createReporter((line) => process.stdout.write(`${line}\n`), {
    rowsAsJson: flags.has('--rows-json'),
  });

  const dpFlag = flags.get('--data-parallel') ?? 'auto';
  const dataParallel: number | 'auto' = dpFlag === 'auto' ? 'auto' : num(flags, '--data-parallel', 1);
  const backend = await initBackend({
    backend: (flags.get('--backend') as BackendChoice | undefined) ?? 'auto',
    // As the product: 1 thread when data parallel may be used (default "auto"), else all cores.
    threads: flags.has('--threads')
      ? num(flags, '--threads', 1)
      : trainingThreads({ training: { dataParallel } }),
  });
  out.info('backend', {
    ...backend,
    tfjs: tf.version_core,
    node: process.version,
    date: new Date().toISOString(),
    loadavg: os.loadavg(),
  });

  // Fill-mask runs, in the product, in the inference worker on a 1-thread backend
  // (server/worker/inferenceRole.ts): W2 is measured the same way, in a child process, unless asked otherwise.
  const w2Child = backend.threads !== undefined && backend.threads !== 1 && !flags.has('--threads');
  const needsTorch =
    (workloads.has('w1') || workloads.has('quality') || (workloads.has('w2') && !w2Child)) &&
    !flags.has('--no-torch');
  const torch = needsTorch ? await TorchReference.start() : undefined;
  if (torch) out.info('pytorch', { ...torch.info });
  try {
    const dropout = num(flags, '--dropout', W1_DEFAULTS.dropout);
    if (workloads.has('w1')) {
      await runW1(
        { ...W1_DEFAULTS, windows: num(flags, '--windows', W1_DEFAULTS.windows), dropout, dataParallel },
        backend,
        torch,
        out,
      );
    }
    if (workloads.has('w2')) {
      if (w2Child) w2InChild(flags.has('--no-torch'), out);
      else await runW2(W2_DEFAULTS, torch, out);
    }
    if (workloads.has('hover')) {
      const baseline = flags.get('--baseline');
      await runHover({ ...HOVER_DEFAULTS, ...(typeof baseline === 'string' ? { baseline } : {}) }, out);
    }
    if (workloads.has('lens')) await runLens(LENS_DEFAULTS, out);
    if (workloads.has('hoverprofile')) await runHoverProfile(out);
    if (workloads.has('w3')) await w3(json, out);
    if (workloads.has('profile')) await runProfile({ dropout, seed: W1_DEFAULTS.seed }, out);
    if (workloads.has('memory')) {
      const rows = flags.get('--rows');
      runMemory(
        {
          ...MEMORY_DEFAULTS,
          preset:
            (flags.get('--preset') as typeof MEMORY_DEFAULTS.preset | undefined) ?? MEMORY_DEFAULTS.preset,
          rows: typeof rows === 'string' ? rows.split(',').map(Number) : MEMORY_DEFAULTS.rows,
          seqLen: num(flags, '--seq-len', MEMORY_DEFAULTS.seqLen),
        },
        out,
      );
    }
    if (workloads.has('gpu')) {
      const small = flags.has('--small');
      await runGpu(
        {
          ...GPU_DEFAULTS,
          steps: num(flags, '--steps', small ? 2 : GPU_DEFAULTS.steps),
          fillCalls: small ? 5 : GPU_DEFAULTS.fillCalls,
          wasmBudgetMs: small ? 5000 : GPU_DEFAULTS.wasmBudgetMs,
          peakGflops: flags.has('--peak-gflops') ? num(flags, '--peak-gflops', 0) : undefined,
          allowSoftware: flags.has('--allow-software'),
          small,
        },
        out,
      );
    }
    if (workloads.has('quality')) {
      const variants = flags.get('--variants');
      const table = await runQuality(
        {
          minutes: num(flags, '--minutes', 5),
          variants:
            variants === 'all'
              ? Object.keys(QUALITY_VARIANTS)
              : typeof variants === 'string'
                ? variants.split(',')
                : ['default'],
          torch,
        },
        out,
      );
      process.stdout.write(`\n${table}\n`);
    }
    if (workloads.has('save')) {
      const presets = flags.get('--preset');
      await runSave(
        {
          ...SAVE_DEFAULTS,
          presets:
            typeof presets === 'string'
              ? (presets.split(',') as typeof SAVE_DEFAULTS.presets)
              : SAVE_DEFAULTS.presets,
          saves: num(flags, '--saves', SAVE_DEFAULTS.saves),
        },
        out,
      );
    }
    if (workloads.has('finetune')) {
      const init = flags.get('--init');
      if (typeof init !== 'string')
        throw new Error(`finetune needs --init RUN (a pretraining run)\n${USAGE}`);
      const seeds = flags.get('--seeds');
      await runFinetuneBench(
        {
          init,
          seeds: typeof seeds === 'string' ? seeds.split(',').map(Number) : FINETUNE_DEFAULTS.seeds,
          epochs: num(flags, '--epochs', FINETUNE_DEFAULTS.epochs),
          lr: num(flags, '--lr', FINETUNE_DEFAULTS.lr),
          dropout: num(flags, '--dropout', FINETUNE_DEFAULTS.dropout),
          backend: flags.get('--backend') as BackendChoice | undefined,
        },
        out,
      );
    }
    if (workloads.has('soak')) {
      await runSoak(
        {
          ...SOAK_DEFAULTS,
          steps: num(flags, '--steps', SOAK_DEFAULTS.steps),
          hovers: flags.has('--hovers') ? num(flags, '--hovers', 0) : undefined,
          preset: (flags.get('--preset') as typeof SOAK_DEFAULTS.preset | undefined) ?? SOAK_DEFAULTS.preset,
        },
        out,
      );
    }
  } finally {
    torch?.close();
  }
  // The machine is shared: the load average says how noisy this run was.
  out.info('load', { loadavg: os.loadavg() });
  // quality prints its own table (above); the shared one only when another workload ran.
  if (!json && [...workloads].some((w) => w !== 'quality')) process.stdout.write(`\n${out.table()}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  // The threaded wasm binary's pthreads keep the process alive: exit explicitly (benchmarks.md).
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
