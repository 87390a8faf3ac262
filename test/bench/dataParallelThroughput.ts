/**
 * Data parallel vs threads, in one invocation: the W1 model (or --tiny) trained by the product's step in
 * three child processes — 1 thread (trainStep), data-parallel 2 × 1 thread (ReplicaPool), the threaded
 * wasm binary with 2 threads (trainStep) — in interleaved timed windows, one process at a time.
 * Reports median tokens/s, tokens per CPU-second (all threads of the process, robust on a loaded machine)
 * and CPU/wall. Usage: node --import tsx test/bench/dataParallelThroughput.ts [--tiny] [--windows N] [--steps N] [--json]
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { initBackend } from '../../server/ml/backend';
import { bertPreset, createModel } from '../../server/ml/model';
import { AdamW } from '../../server/ml/train/adamw';
import { ReplicaPool } from '../../server/ml/train/parallel';
import { trainStep } from '../../server/ml/train/step';
import { spawnReplica } from '../../server/worker/replicas';
import type { BertConfig } from '../../server/ml/types';
import { median } from './stats';
import { w1Batches } from './trainingBatches';
import { w1Config } from './trainingThroughput';

interface Mode {
  name: string;
  threads: number;
  replicas: number;
}
const MODES: Mode[] = [
  { name: '1 thread', threads: 1, replicas: 1 },
  { name: 'data-parallel 2 × 1 thread', threads: 1, replicas: 2 },
  { name: 'threaded binary, 2 threads', threads: 2, replicas: 1 },
];

interface Window {
  /** Data parallel: the leader's time per part of the steps (StepTimings summed), ms. */
  timings?: Record<string, number>;
  ms: number;
  cpuMs: number;
  /** CPU time of the busiest thread (ms). */
  busiestMs: number;
  tokens: number;
  loss: number;
}

const tinyConfig = (): BertConfig => ({
  ...bertPreset('tiny', 2048, 64),
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
});

/** CPU seconds of each thread of this process (Linux /proc; utime + stime, 10 ms resolution). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100); // fields 14 and 15
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The busiest thread's CPU seconds between two samples: the critical path if the threads had a core each. */
function busiestThread(a: Map<string, number>, b: Map<string, number>): number {
  let max = 0;
  for (const [tid, v] of b) max = Math.max(max, v - (a.get(tid) ?? 0));
  return max;
}

async function child(mode: Mode, tiny: boolean): Promise<void> {
  const backend = await initBackend({ backend: 'wasm', threads: mode.threads });
  const config = tiny ? tinyConfig() : w1Config(0);
  const [batchSize, seqLen] = tiny ? [32, 64] : [32, 128];
  const batches = w1Batches({ count: 4, batchSize, seqLen, vocabSize: config.vocabSize, seed: 1234 });
  const model = createModel(config, { seed: 1234 });
  const opt = new AdamW(model.variables, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
  const pool =
    mode.replicas > 1
      ? await ReplicaPool.start(model, {
          replicas: mode.replicas,
          backend: 'wasm',
          seed: 1234,
          spawn: spawnReplica,
        })
      : undefined;
  let i = 0;
  process.send!({ ready: backend.device });
  process.on('message', (m: { steps?: number }) => {
    if (!m.steps) {
      void pool?.close().then(() => process.exit(0));
      if (!pool) process.exit(0);
      return;
    }
    void (async () => {
      const c0 = process.cpuUsage();
      const th0 = threadCpu();
      const t0 = performance.now();
      let loss = NaN;
      const timings: Record<string, number> = {};
      for (let k = 0; k < m.steps!; k++) {
        const b = [batches[i++ % batches.length]];
        const opts = { lr: 1e-3, clipNorm: 1 };
        loss = (pool ? await pool.step(model, opt, b, opts) : await trainStep(model, opt, b, opts)).loss;
        for (const [key, v] of Object.entries(pool?.lastTimings ?? {}))
          timings[key] = (timings[key] ?? 0) + v;
      }
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const busiestMs = busiestThread(th0, threadCpu()) * 1000;
      const w: Window = {
        ms,
        cpuMs: (c.user + c.system) / 1000,
        tokens: m.steps! * batchSize * seqLen,
        loss,
        timings,
        busiestMs,
      };
      process.send!(w);
    })();
  });
}

function ask(p: ChildProcess, msg: object): Promise<Window & { ready?: string }> {
  return new Promise((resolve, reject) => {
    p.once('message', (m) => resolve(m as Window));
    p.once('exit', (code) => reject(new Error(`bench child exited with code ${code}`)));
    p.send(msg);
  });
}

async function parent(args: string[]): Promise<void> {
  const tiny = args.includes('--tiny');
  const num = (flag: string, d: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const windows = num('--windows', 5);
  const steps = num('--steps', tiny ? 10 : 2);
  const results = new Map<string, Window[]>();
  const devices = new Map<string, string>();
  for (const mode of MODES) {
    const p = fork(__filename, ['--child', JSON.stringify(mode), ...(tiny ? ['--tiny'] : [])], {
      execArgv: ['--import', 'tsx'],
    });
    const ready = await new Promise<string>((resolve) =>
      p.once('message', (m) => resolve((m as { ready: string }).ready)),
    );
    devices.set(mode.name, ready);
    await ask(p, { steps: 1 }); // warm-up
    results.set(mode.name, []);
    (mode as Mode & { proc?: ChildProcess }).proc = p;
  }
  for (let w = 0; w < windows; w++) {
    // Rotate the order so that no mode always runs after the same neighbour.
    for (let j = 0; j < MODES.length; j++) {
      const mode = MODES[(w + j) % MODES.length] as Mode & { proc: ChildProcess };
      results.get(mode.name)!.push(await ask(mode.proc, { steps }));
    }
  }
  for (const mode of MODES as (Mode & { proc: ChildProcess })[]) mode.proc.send({ steps: 0 });
  const rows = MODES.map((m) => {
    const ws = results.get(m.name)!;
    return {
      mode: m.name,
      device: devices.get(m.name),
      tokensPerSec: median(ws.map((x) => (x.tokens / x.ms) * 1000)),
      tokensPerCpuSec: median(ws.map((x) => (x.tokens / x.cpuMs) * 1000)),
      cpuPerWall: median(ws.map((x) => x.cpuMs / x.ms)),
      // Tokens per CPU-second of the busiest thread: the speed with a free core per thread (data parallel's
      // waits are not CPU time, so this is an upper bound there; meaningless for the spinning pthreads).
      tokensPerBusiestCpuSec: median(ws.map((x) => (x.tokens / x.busiestMs) * 1000)),
      lastLoss: ws[ws.length - 1].loss,
      // Median share of each part of the leader's step time (data parallel only).
      leaderShares: Object.fromEntries(
        Object.keys(ws[0].timings ?? {}).map((k) => [k, median(ws.map((x) => x.timings![k] / x.ms))]),
      ),
    };
  });
  const base = rows[0];
  for (const r of rows) {
    if (args.includes('--json'))
      process.stdout.write(`${JSON.stringify({ model: tiny ? 'tiny' : 'W1', windows, steps, ...r })}\n`);
  }
  process.stdout.write(
    `\n${tiny ? 'tiny preset (seq 64, batch 32)' : 'W1 (mini, seq 128, batch 32)'}: ${windows} windows × ${steps} steps, medians\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.mode.padEnd(30)} ${r.tokensPerSec.toFixed(0).padStart(7)} tok/s (${(r.tokensPerSec / base.tokensPerSec).toFixed(2)}×)  ` +
        `${r.tokensPerCpuSec.toFixed(0).padStart(7)} tok/CPU-s  ${r.tokensPerBusiestCpuSec.toFixed(0).padStart(7)} tok/busiest-thread-CPU-s  CPU/wall ${r.cpuPerWall.toFixed(2)}  loss ${r.lastLoss.toFixed(4)}` +
        (Object.keys(r.leaderShares).length
          ? `  leader: ${Object.entries(r.leaderShares)
              .map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`)
              .join(', ')}`
          : '') +
        '\n',
    );
  }
}

const argv = process.argv.slice(2);
const ci = argv.indexOf('--child');
const main = ci >= 0 ? child(JSON.parse(argv[ci + 1]) as Mode, argv.includes('--tiny')) : parent(argv);
main.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
