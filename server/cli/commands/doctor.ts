/** `mlm doctor [--json] [--backend B]`: which compute backend runs, why the better ones do not, and the machine. */
import { BACKEND_CHOICES, type BackendChoice } from '../../ml/backend';
import { diagnose, type Diagnosis } from '../../ml/backend/diagnose';
import { W1_TRAIN_FLOP_PER_TOKEN } from '../../ml/backend/peak';
import { CliError, type Command } from '../command';

const USAGE = `usage: mlm doctor [--json] [--bench] [--backend auto|cuda|tensorflow|wasm|cpu] [--threads N]

Starts the compute backend as training would and reports which one runs, why each faster one is not
available (package not installed, CUDA/cuDNN/driver not found) with what to install, the WebAssembly
SIMD/threads state, CPU cores and memory. --bench also measures the backend's matMul peak (GFLOP/s) and
the W1 roofline it implies. --json prints one JSON object.`;

function parse(argv: string[]): { json: boolean; bench: boolean; backend: BackendChoice; threads?: number } {
  let json = false;
  let bench = false;
  let threads: number | undefined;
  let backend: BackendChoice = 'auto';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--bench') bench = true;
    else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      threads = Number(v);
      if (!Number.isInteger(threads) || threads < 1) {
        throw new CliError(`--threads must be a positive integer, got "${v ?? ''}"\n\n${USAGE}`, 2);
      }
    } else if (a === '--backend' || a.startsWith('--backend=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!BACKEND_CHOICES.includes(v as BackendChoice)) {
        throw new CliError(
          `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${v ?? ''}"\n\n${USAGE}`,
          2,
        );
      }
      backend = v as BackendChoice;
    } else throw new CliError(`unknown option "${a}"\n\n${USAGE}`, 2);
  }
  return { json, bench, backend, threads };
}

const gb = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GB`;

export function formatDiagnosis(d: Diagnosis): string {
  const b = d.backend;
  const { cuda, tensorflow, wasm } = d.candidates;
  const p = cuda.probe;
  const lines = [
    `backend:     ${b.name} — ${b.device}`,
    ...(b.reasons.length ? ['why not faster:', ...b.reasons.map((r) => `  - ${r}`)] : []),
    '',
    'candidates:',
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
          `matMul peak: ${d.peak.gflops.toFixed(1)} GFLOP/s (${d.peak.shape}, best of ${d.peak.samples}) → ` +
            `W1 roofline ≈ ${Math.round((d.peak.gflops * 1e9) / W1_TRAIN_FLOP_PER_TOKEN).toLocaleString('en-US')} tokens/s ` +
            '(22.4 MFLOP per token)',
        ]
      : []),
    '',
    `machine:     ${d.machine.cpuModel}, ${d.machine.cores} cores; memory ${gb(d.machine.freeMemoryBytes)} free of ${gb(d.machine.totalMemoryBytes)}`,
    `             ${d.machine.platform}, Node ${d.machine.node}, tfjs ${d.machine.tfjs}`,
  ];
  return lines.join('\n');
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'show the compute backend, why faster ones are missing, and what to install',
  usage: USAGE,
  async run(argv) {
    const opts = parse(argv);
    let d: Diagnosis;
    try {
      d = await diagnose({ backend: opts.backend, threads: opts.threads, bench: opts.bench });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    process.stdout.write(opts.json ? `${JSON.stringify(d, null, 2)}\n` : `${formatDiagnosis(d)}\n`);
    return 0;
  },
};
