/**
 * Knobs read from the environment once (for tests, benchmarks and remote setups; users have settings):
 *   MLM_BACKEND                 TF.js backend for the workers (auto | wasm | cpu | tensorflow | cuda), default auto
 *   MLM_NVIDIA_SMI_TIMEOUT_MS   nvidia-smi timeout, default 5000
 *   MLM_NVIDIA_SMI_BACKOFF_MS   first back-off after a failed nvidia-smi, default 10000 (doubles, max 5 min)
 *   MLM_GPU_POLL_MS             telemetry period overriding mlm.telemetry.gpuPollSeconds
 *   MLM_CORPUS_STABILITY_MS     how long a changed file must be stable before it is indexed, default 300
 *   MLM_TRACE_FILL_MASK         1 = log every fill-mask answer (cache hit or computed) and every worker batch
 * Test hooks (reliability row 4; never set them otherwise):
 *   MLM_TEST_HANG_HOVER         a file: the first hover writes the backend's pid there, then busy-loops for ever
 *   MLM_TEST_HANG_FILL          a marker: the inference worker busy-loops for ever on a fill whose text holds it
 */
export interface ServerEnv {
  backend: string;
  smiTimeoutMs: number;
  smiBackoffMs: number;
  gpuPollMs?: number;
  stabilityMs: number;
  maxFileBytes: number;
  traceFillMask: boolean;
  /** MLM_TEST_HANG_HOVER. */
  hangHover?: string;
}

function num(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? n : undefined;
}

export function serverEnv(): ServerEnv {
  return {
    backend: process.env.MLM_BACKEND || 'auto',
    smiTimeoutMs: num('MLM_NVIDIA_SMI_TIMEOUT_MS', 10) ?? 5000,
    smiBackoffMs: num('MLM_NVIDIA_SMI_BACKOFF_MS', 0) ?? 10_000,
    gpuPollMs: num('MLM_GPU_POLL_MS', 20),
    stabilityMs: num('MLM_CORPUS_STABILITY_MS', 0) ?? 300,
    maxFileBytes: 10 * 1024 * 1024,
    traceFillMask: process.env.MLM_TRACE_FILL_MASK === '1',
    hangHover: process.env.MLM_TEST_HANG_HOVER || undefined,
  };
}
