/**
 * `npm run bench -- gpu` (issue #12): the product's training step and fill-mask on the WebGPU adapter and, in the
 * same run, on wasm — W1 training tokens/s, a `base`-preset training step, W2 fill-mask latency — with achieved
 * GFLOP/s and MFU against the backend's measured matMul peak (server/ml/backend/peak.ts; on a hardware adapter a
 * [2048, 2048] · [2048, 2048] product) and, with `--peak-gflops N`, against the adapter's datasheet fp32 peak.
 *
 * Each backend runs in its own child process (one TF.js backend per process, as the product's workers). Without a
 * WebGPU adapter it prints `gpu: skipped — <reason>`; a software adapter (lavapipe, SwiftShader) is skipped too
 * unless `--allow-software` (its numbers measure a CPU emulation, not a GPU: for checking the script only).
 * Everything comes from the repo and node_modules: it runs on a machine without internet once the GPU's Vulkan
 * loader is there (test/bench/gpuMachine.sh).
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendInfo } from '../../server/ml/backend';
import { backendPeak } from '../../server/ml/backend/peak';
import { probeWebgpu } from '../../server/ml/backend/webgpu';
import { fillMask } from '../../server/ml/infer/fillMask';
import { bertPreset, createModel } from '../../server/ml/model';
import { measureTrainThroughput, type ThroughputResult } from '../../server/ml/train/throughput';
import type { ModelConfig } from '../../server/ml/types';
import { benchText, benchTokenizer } from './syntheticVocab';
import { fmt, type Reporter } from './report';
import { median } from './stats';
import { w1Config } from './trainingThroughput';

export interface GpuBenchOptions {
  /** Timed training steps per workload on the GPU (wasm gets a time budget instead: it is ~50× slower). */
  steps: number;
  /** Wall-time budget per training workload on wasm, ms (at least one step is timed). */
  wasmBudgetMs: number;
  /** Timed fill-mask calls. */
  fillCalls: number;
  /** The adapter's datasheet fp32 peak (GFLOP/s), e.g. 67000 for an H100 SXM; MFU against it when given. */
  peakGflops?: number;
  allowSoftware: boolean;
  /** Smaller shapes (batch 4, seq 64, base at batch 2) for checking the script on a software adapter. */
  small: boolean;
}

export const GPU_DEFAULTS: GpuBenchOptions = {
  steps: 20,
  wasmBudgetMs: 20_000,
  fillCalls: 50,
  allowSoftware: false,
  small: false,
};

/** One backend's figures (the child's JSON line). */
interface BackendFigures {
  backend: string;
  device: string;
  peakGflops: number;
  peakShape: string;
  w1: ThroughputResult;
  base: ThroughputResult;
  w2: { medianMs: number; calls: number };
  leakedTensors: number;
}

const w1Shape = (small: boolean) => (small ? { batchSize: 4, seqLen: 64 } : { batchSize: 32, seqLen: 128 });
const baseShape = (small: boolean) => (small ? { batchSize: 2, seqLen: 64 } : { batchSize: 32, seqLen: 128 });

function baseConfig(seqLen: number): ModelConfig {
  return {
    ...bertPreset('base', 30522, Math.max(seqLen, 128)),
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
  };
}

/** The child: measures one backend and prints its figures as one JSON line. */
export async function gpuChild(backendName: 'webgpu' | 'wasm', o: GpuBenchOptions): Promise<void> {
  const info: BackendInfo = await initBackend({ backend: backendName });
  const before = tf.memory().numTensors;
  const say = (what: string) => process.stderr.write(`gpu: ${backendName}: ${what}\n`);
  say(`${info.device}; matMul peak…`);
  const peak = await backendPeak({ samples: 8 });
  say(`${peak.gflops.toFixed(1)} GFLOP/s (${peak.shape}); W1 training…`);
  const budget = backendName === 'wasm' ? { steps: o.steps, budgetMs: o.wasmBudgetMs } : { steps: o.steps };
  const w1 = await measureTrainThroughput({ config: w1Config(0), ...w1Shape(o.small), ...budget });
  say(`W1 ${w1.tokensPerSec.toFixed(0)} tokens/s; base-preset training…`);
  const base = await measureTrainThroughput({
    config: baseConfig(baseShape(o.small).seqLen),
    ...baseShape(o.small),
    ...budget,
  });
  say(`base ${base.tokensPerSec.toFixed(0)} tokens/s; W2 fill-mask…`);
  // W2: one fill-mask call of a 32-token text on the W1 model (random weights: latency, not quality).
  const model = createModel(w1Config(0), { seed: 1 });
  const tokenizer = benchTokenizer(8192);
  const text = benchText(30, 7, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < 5 + o.fillCalls; i++) {
      const t0 = performance.now();
      await fillMask(model, tokenizer, text, { topK: 5 });
      if (i >= 5) times.push(performance.now() - t0);
    }
  } finally {
    model.dispose();
  }
  const figures: BackendFigures = {
    backend: info.name,
    device: info.device,
    peakGflops: peak.gflops,
    peakShape: peak.shape,
    w1,
    base,
    w2: { medianMs: median(times), calls: times.length },
    leakedTensors: tf.memory().numTensors - before,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runChild(backendName: string, o: GpuBenchOptions): BackendFigures {
  const args = ['--import', 'tsx', __filename, '--child', backendName, JSON.stringify(o)];
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 2 ** 20,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    throw new Error(`the ${backendName} benchmark process failed (exit ${r.status ?? r.signal}); see above`);
  }
  return JSON.parse(line) as BackendFigures;
}

/** The parent: probes the adapter, measures webgpu and wasm in turn, reports records and table rows. */
export async function runGpu(o: GpuBenchOptions, out: Reporter): Promise<void> {
  const probe = await probeWebgpu();
  const skip = !probe.ok
    ? probe.reason
    : probe.adapter.software && !o.allowSoftware
      ? `the only WebGPU adapter is "${probe.adapter.name}", a software implementation on the CPU (its numbers would ` +
        'measure an emulation); run it on a machine with a GPU, or pass --allow-software to check the script'
      : undefined;
  if (skip !== undefined) {
    out.info('gpu', { skipped: skip });
    out.row(['GPU', 'skipped', '', '', skip.slice(0, 60)]);
    process.stderr.write(`gpu: skipped — ${skip}\n`);
    return;
  }
  if (!probe.ok) return;
  out.info('gpu-adapter', { ...probe.adapter });
  const gpu = runChild('webgpu', o);
  const wasm = runChild('wasm', o);
  for (const f of [gpu, wasm]) out.info(`gpu-${f.backend}`, { ...f });

  const rec = (f: BackendFigures, metric: string, value: number, unit: string, extra = {}) =>
    out.record({ workload: 'gpu', system: f.backend, metric, value, unit, device: f.device, ...extra });
  const mfu = (f: BackendFigures, r: ThroughputResult) => r.achievedGflops / f.peakGflops;
  for (const f of [gpu, wasm]) {
    rec(f, 'matMul peak', f.peakGflops, 'GFLOP/s', { shape: f.peakShape });
    for (const [name, r] of [
      ['W1 train', f.w1],
      ['base train', f.base],
    ] as const) {
      rec(f, `${name} tokens/s`, r.tokensPerSec, 'tokens/s', {
        batchSize: r.batchSize,
        seqLen: r.seqLen,
        steps: r.steps,
      });
      rec(f, `${name} GFLOP/s`, r.achievedGflops, 'GFLOP/s');
      rec(f, `${name} MFU (measured peak)`, mfu(f, r), 'fraction');
      if (f === gpu && o.peakGflops)
        rec(f, `${name} MFU (datasheet fp32 peak)`, r.achievedGflops / o.peakGflops, 'fraction');
    }
    rec(f, 'W2 fill-mask latency', f.w2.medianMs, 'ms', { calls: f.w2.calls });
  }
  const x = (a: number, b: number) => `${fmt(a / b)}×`;
  out.row([
    'GPU',
    `adapter`,
    probe.adapter.name,
    'wasm',
    `${probe.adapter.api}${probe.adapter.software ? ' (software)' : ''}`,
  ]);
  out.row([
    'GPU',
    'matMul peak GFLOP/s',
    fmt(gpu.peakGflops),
    fmt(wasm.peakGflops),
    x(gpu.peakGflops, wasm.peakGflops),
  ]);
  for (const k of ['w1', 'base'] as const) {
    const label = k === 'w1' ? 'W1' : 'base';
    out.row([
      'GPU',
      `${label} tokens/s`,
      fmt(gpu[k].tokensPerSec),
      fmt(wasm[k].tokensPerSec),
      x(gpu[k].tokensPerSec, wasm[k].tokensPerSec),
    ]);
    out.row([
      'GPU',
      `${label} MFU (measured peak)`,
      fmt(100 * mfu(gpu, gpu[k])) + ' %',
      fmt(100 * mfu(wasm, wasm[k])) + ' %',
      '',
    ]);
    if (o.peakGflops)
      out.row([
        'GPU',
        `${label} MFU (fp32 ${fmt(o.peakGflops)} GFLOP/s)`,
        fmt((100 * gpu[k].achievedGflops) / o.peakGflops) + ' %',
        '',
        '',
      ]);
  }
  out.row([
    'GPU',
    'W2 fill-mask ms',
    fmt(gpu.w2.medianMs),
    fmt(wasm.w2.medianMs),
    x(wasm.w2.medianMs, gpu.w2.medianMs),
  ]);
}

if (process.argv[2] === '--child') {
  const backendName = process.argv[3] as 'webgpu' | 'wasm';
  gpuChild(backendName, JSON.parse(process.argv[4]) as GpuBenchOptions).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
