/** `mlm doctor [--json] [--backend B]`: which compute backend runs, why the better ones do not, and the machine. */
import { BACKEND_CHOICES, type BackendChoice } from '../../ml/backend';
import { diagnose, type Diagnosis } from '../../ml/backend/diagnose';
import { W1_TRAIN_FLOP_PER_TOKEN } from '../../ml/backend/peak';
import { formatAdapter } from '../../ml/backend/gpuAdapter';
import { utilisation } from '../../ml/train/flops';
import { planRunMemory } from '../../ml/train/memory';
import { trainingThreads } from '../../ml/train/parallel';
import { modelConfigFor } from '../../ml/train/modelConfig';
import { BERT_PRESET_NAMES } from '../../ml/model/presets';
import type { MemoryEstimate } from '../../../protocol/shared/memory';
import { formatMemorySize } from '../../../protocol/shared/units';
import { mergeRunConfig, type ResolvedRunConfig } from '../../../protocol/runConfig';
import { loadRunConfigFile, resolveRunConfig } from '../../app/runConfigFile';
import {
  measureTrainThroughput,
  THROUGHPUT_MODELS,
  THROUGHPUT_SETUPS,
  type ThroughputModel,
  type ThroughputResult,
} from '../../ml/train/throughput';
import { webgpuSummary } from '../../../protocol/webgpuText';
import { CliError, type Command, parseCliArgs } from '../command';

const USAGE = `usage: mlm doctor [--json] [--bench] [--backend auto|webgpu|cuda|tensorflow|wasm|cpu] [--threads N]
                  [--bench-model w1|tiny] [--bench-batch N] [--bench-steps N] [--config FILE]

Starts the compute backend as training would and reports which one runs, why each faster one is not
available (package not installed, no WebGPU adapter or only a software one, CUDA/cuDNN/driver not found)
with what to install, the WebGPU adapter (vendor, architecture, driver, limits, software or not), the
WebAssembly SIMD/threads state, CPU cores and memory. --json prints one JSON object.

memory: the training memory estimate of each BERT preset with the default run settings (or of the run
--config FILE describes) on this backend: the leader's and each replica's peak against the heap, the rows
per pass and passes that make it fit, or that it cannot fit and what to change (docs/compute.md, Memory).

--bench also measures the backend's matMul peak (GFLOP/s) and the W1 roofline it implies, then trains a
few steps of a model with the product's training step on random tokens and reports the achieved tokens/s,
GFLOP/s and model FLOPs utilisation (MFU) against that peak:
  --bench-model w1|tiny  W1 (BERT mini, vocab 8192, seq 128; the default) or BERT tiny (vocab 2048,
                         seq 64; the default on the slow cpu backend)
  --bench-batch N        sequences per step (default 8 for w1, 2 for tiny)
  --bench-steps N        timed steps after one warm-up step (default 3; fewer once they pass 10 s)`;

export interface DoctorOptions {
  json: boolean;
  bench: boolean;
  backend: BackendChoice;
  threads?: number;
  benchModel?: ThroughputModel;
  /** Default: the bench model's own (8 for w1, 2 for tiny). */
  benchBatch?: number;
  benchSteps: number;
  /** A run config (*.mlm.json) whose memory estimate to show instead of the presets'. */
  config?: string;
}

/** Parses doctor's options; a bad value is a usage error (exit 2). */
export function parseDoctorArgs(argv: string[]): DoctorOptions {
  const { values: v } = parseCliArgs(
    {
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'boolean' },
        bench: { type: 'boolean' },
        backend: { type: 'string' },
        threads: { type: 'string' },
        'bench-model': { type: 'string' },
        'bench-batch': { type: 'string' },
        'bench-steps': { type: 'string' },
        config: { type: 'string' },
      },
    },
    USAGE,
  );
  const positive = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) {
      throw new CliError(`--${name} must be a positive integer, got "${s}"\n\n${USAGE}`, 2);
    }
    return n;
  };
  const backend = v.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(backend as BackendChoice)) {
    throw new CliError(
      `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${backend}"\n\n${USAGE}`,
      2,
    );
  }
  const model = v['bench-model'];
  if (model !== undefined && !THROUGHPUT_MODELS.includes(model as ThroughputModel)) {
    throw new CliError(
      `--bench-model must be one of ${THROUGHPUT_MODELS.join(', ')}, got "${model}"\n\n${USAGE}`,
      2,
    );
  }
  return {
    json: v.json === true,
    bench: v.bench === true,
    backend: backend as BackendChoice,
    threads: positive('threads', v.threads),
    benchModel: model as ThroughputModel | undefined,
    config: v.config,
    benchBatch: positive('bench-batch', v['bench-batch']),
    benchSteps: positive('bench-steps', v['bench-steps']) ?? 3,
  };
}

/** The training measurement of `--bench`, with its utilisation of the measured peak. */
export interface TrainBench extends ThroughputResult {
  model: ThroughputModel;
  label: string;
  /** The matMul peak the MFU is against (GFLOP/s). */
  peakGflops?: number;
  mfu?: number;
}

/** One memory plan doctor shows: a preset with the default settings, or the --config run. */
export interface DoctorMemory {
  label: string;
  estimate: MemoryEstimate;
  /** What the trainer would change to fit. */
  adjusted?: string;
}

/** Diagnosis plus, with --bench, the training measurement, and the memory plans. */
export type DoctorReport = Diagnosis & { train?: TrainBench; memory?: DoctorMemory[] };

/** The memory plans of every BERT preset with the default run settings, or of the run config at `file`. */
export function doctorMemory(file?: string): DoctorMemory[] {
  const plan = (label: string, config: ResolvedRunConfig): DoctorMemory => {
    // As a run would start: its threads (1 with data parallel), not doctor's.
    const threads = trainingThreads(config);
    const p = planRunMemory(config, modelConfigFor(config, config.tokenizer.vocabSize), threads);
    return { label, estimate: p.estimate, adjusted: p.adjusted };
  };
  if (file) return [plan(file, resolveRunConfig(loadRunConfigFile(file), file))];
  return BERT_PRESET_NAMES.map((preset) =>
    plan(preset, resolveRunConfig(mergeRunConfig({}, { model: { preset } }), 'defaults')),
  );
}

export function formatMemory(list: readonly DoctorMemory[]): string[] {
  const first = list[0]?.estimate;
  if (!first) return [];
  const heap =
    first.heapLimitBytes !== null ? `, ${formatMemorySize(first.heapLimitBytes)} usable per wasm heap` : '';
  return [
    `memory:      training estimate (${list.length > 1 ? 'vocab 8192, seqLen 128, batch 16' : 'this run config'}${heap}):`,
    ...list.map(({ label, estimate: e }) => {
      const how = `${e.replicas} replica${e.replicas > 1 ? 's' : ''} × ${e.rowsPerPass} row${e.rowsPerPass > 1 ? 's' : ''} × ${e.chunks} pass${e.chunks > 1 ? 'es' : ''}`;
      return (
        `  ${label.padEnd(8)} ${(e.parameters / 1e6).toFixed(1).padStart(6)} M params: leader ${formatMemorySize(e.leaderBytes)}, ` +
        `${formatMemorySize(e.totalBytes)} in all (${how})` +
        (e.fits
          ? ''
          : ' — does NOT fit: lower data.seqLen, tokenizer.vocabSize or the preset, or use a native backend')
      );
    }),
  ];
}

const gb = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GB`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** GFLOP/s with 2 significant digits below 1 (the cpu backend), else one decimal. */
const gflops = (g: number): string => (g >= 1 ? g.toFixed(1) : g.toPrecision(2));

export function formatTrainBench(t: TrainBench): string[] {
  const mflop = (t.flopsPerToken / 1e6).toFixed(t.flopsPerToken >= 1e7 ? 1 : 2);
  return [
    `training:    ${t.label}, batch ${t.batchSize}, ${t.steps} step${t.steps === 1 ? '' : 's'} after a warm-up ` +
      `(${t.seconds.toFixed(1)} s; loss ${t.loss.toFixed(2)})`,
    `             ${int(t.tokensPerSec)} tokens/s (${int(t.tokensPerCpuSec)} per CPU-second) × ${mflop} MFLOP per token ` +
      `= ${gflops(t.achievedGflops)} GFLOP/s` +
      (t.mfu !== undefined && t.peakGflops !== undefined
        ? ` → MFU ${(t.mfu * 100).toFixed(1)} % of the ${gflops(t.peakGflops)} GFLOP/s matMul peak`
        : ''),
  ];
}

export function formatDiagnosis(d: DoctorReport): string {
  const b = d.backend;
  const { webgpu, cuda, tensorflow, wasm } = d.candidates;
  const p = cuda.probe;
  const lines = [
    `backend:     ${b.name} — ${b.device}`,
    // The status bar's text for the device (protocol/webgpuText.ts).
    ...(b.adapter
      ? [
          `gpu:         ${webgpuSummary({ adapter: b.adapter.name, api: b.adapter.api, software: b.adapter.software })}`,
        ]
      : []),
    ...(b.reasons.length ? ['why not faster:', ...b.reasons.map((r) => `  - ${r}`)] : []),
    '',
    'candidates:',
    `  webgpu      webgpu (Dawn) ${webgpu.installed ? `${webgpu.version ?? ''} installed` : 'not installed'}; ` +
      (webgpu.probe.ok ? formatAdapter(webgpu.probe.adapter) : webgpu.probe.reason),
    `  cuda        @tensorflow/tfjs-node-gpu ${cuda.installed ? 'installed' : 'not installed'}; ` +
      `GPU ${p.gpu ? `${p.gpu} (driver ${p.driver ?? '?'})` : 'not found'}; ` +
      `libcudart.so.11.0 ${p.cudart ?? 'not found'}; libcudnn.so.8 ${p.cudnn ?? 'not found'}`,
    `  tensorflow  @tensorflow/tfjs-node ${tensorflow.installed ? 'installed' : 'not installed'}`,
    `  wasm        tfjs-backend-wasm ${wasm.version}; binaries ${wasm.binaries ?? `missing (${wasm.error ?? ''})`}; ` +
      `SIMD ${b.simd === undefined ? '-' : b.simd ? 'yes' : 'no'}; threads ${b.threads ?? '-'}; ` +
      `own kernels: ${wasm.customKernels.join(', ')}`,
    '  cpu         @tensorflow/tfjs-backend-cpu (pure JavaScript, last resort)',
    ...(d.peak
      ? [
          '',
          `matMul peak: ${gflops(d.peak.gflops)} GFLOP/s (${d.peak.shape}, best of ${d.peak.samples}) → ` +
            `W1 roofline ≈ ${int((d.peak.gflops * 1e9) / W1_TRAIN_FLOP_PER_TOKEN)} tokens/s ` +
            '(22.4 MFLOP per token)',
        ]
      : []),
    ...(d.train ? formatTrainBench(d.train) : []),
    ...(d.memory ? ['', ...formatMemory(d.memory)] : []),
    '',
    `machine:     ${d.machine.cpuModel}, ${d.machine.cores} cores; memory ${gb(d.machine.freeMemoryBytes)} free of ${gb(d.machine.totalMemoryBytes)}`,
    `             ${d.machine.platform}, Node ${d.machine.node}, tfjs ${d.machine.tfjs}`,
  ];
  return lines.join('\n');
}

/** The timed steps of --bench stop after the one that passes this (the cpu backend is ~100× slower than wasm). */
const BENCH_BUDGET_MS = 10_000;

/** --bench's training measurement on the backend `d` started, against its measured peak. */
export async function benchTraining(d: Diagnosis, opts: DoctorOptions): Promise<TrainBench> {
  const model = opts.benchModel ?? (d.backend.name === 'cpu' ? 'tiny' : 'w1');
  const setup = THROUGHPUT_SETUPS[model];
  const r = await measureTrainThroughput({
    config: setup.config,
    seqLen: setup.seqLen,
    batchSize: opts.benchBatch ?? setup.batchSize,
    steps: opts.benchSteps,
    budgetMs: BENCH_BUDGET_MS,
  });
  const u = utilisation(r.tokensPerSec, r.flopsPerToken, d.peak?.gflops);
  return { model, label: setup.label, ...r, peakGflops: u?.peakGflops, mfu: u?.mfu };
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'show the compute backend, why faster ones are missing, and what to install',
  usage: USAGE,
  async run(argv) {
    const opts = parseDoctorArgs(argv);
    let d: DoctorReport;
    try {
      d = await diagnose({ backend: opts.backend, threads: opts.threads, bench: opts.bench });
      if (opts.bench) d = { ...d, train: await benchTraining(d, opts) };
      d = { ...d, memory: doctorMemory(opts.config) };
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    process.stdout.write(opts.json ? `${JSON.stringify(d, null, 2)}\n` : `${formatDiagnosis(d)}\n`);
    return 0;
  },
};
