/**
 * Compute backend selection, done once per process (or worker thread) and reported everywhere.
 * Order: WebGPU on a hardware adapter (Dawn) → tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (SIMD,
 * threaded where it works) → pure-JS cpu. A software WebGPU adapter runs only when `webgpu` is asked for by name.
 * The `webgpu` package and the native packages are optionalDependencies, loaded outside the bundle; any may be absent.
 */
import * as tf from '@tensorflow/tfjs-core';
// Named import: a bare one is dropped by esbuild (the package declares no side effects) and with it the
// registration of the cpu backend.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
// tfjs-core's CommonJS build registers no gradients; training needs all of them (global registry).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import os from 'node:os';
import { BACKEND_CHOICES, type BackendChoice, type BackendName } from '../../protocol/shared/choices';
import { probeCuda } from './backend/cudaProbe';
import { loadNative, nativeInstalled, type NativeLoad } from './backend/native';
import { initWasm } from './backend/wasm';
import { hardwareGpuPresence, webgpuDeviceLabel, type GpuAdapterReport } from './backend/gpuAdapter';
import { initWebgpu, probeWebgpu } from './backend/webgpu';
import { registerFusedKernels, registerWasmKernels } from './kernels';

// One list for the CLI, the run config and the server (protocol/shared/choices.ts), re-exported for server/ml users.
export { BACKEND_CHOICES, type BackendChoice, type BackendName };

export interface BackendInfo {
  name: BackendName;
  /** tfjs's name of the registered backend (tf.getBackend()). */
  tfBackend: string;
  /** Human-readable device, e.g. "WebAssembly SIMD, 2 threads". */
  device: string;
  /** wasm only: the SIMD binary runs. */
  simd?: boolean;
  /** wasm only: XNNPACK threads (1 = single-threaded binary). */
  threads?: number;
  /** webgpu only: the adapter (vendor, architecture, driver, limits, software or not). */
  adapter?: GpuAdapterReport;
  /** Why each better backend is not in use, with what to install or change. Empty on the best backend. */
  reasons: string[];
  /** Logical CPU cores of this machine. */
  cores: number;
}

export interface InitBackendOptions {
  /** Default 'auto'. An explicit choice that cannot load throws (naming why and what to install). */
  backend?: BackendChoice;
  /** wasm: XNNPACK threads; default all cores. 1 picks the single-threaded SIMD binary. */
  threads?: number;
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/** Chooses and initialises the backend once; later calls return the same info (options are ignored then). */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  if (current) return Promise.resolve(current);
  pending ??= choose(opts).then(
    (info) => {
      current = info;
      return info;
    },
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

/** The backend chosen by initBackend, or undefined before it has finished. */
export function getBackendInfo(): BackendInfo | undefined {
  return current;
}

async function choose(opts: InitBackendOptions): Promise<BackendInfo> {
  registerFusedKernels();
  const choice = opts.backend ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`unknown backend "${String(choice)}": use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const cores = os.cpus().length || 1;
  const reasons: string[] = [];

  const gpuPresence = choice === 'auto' ? hardwareGpuPresence() : { present: true as const };
  if (!gpuPresence.present) reasons.push(`webgpu: ${gpuPresence.reason}`);
  else if (choice === 'auto' || choice === 'webgpu') {
    const probe = await probeWebgpu();
    if (!probe.ok) {
      if (choice === 'webgpu') throw new Error(`backend "webgpu" is not available: ${probe.reason}`);
      reasons.push(`webgpu: ${probe.reason}`);
    } else if (choice === 'auto' && probe.adapter.software) {
      reasons.push(
        `webgpu: the only adapter is "${probe.adapter.name}", a software ${probe.adapter.api} implementation on the CPU ` +
          "(slower than wasm); install the GPU's driver, or ask for it with `--backend webgpu` to test",
      );
    } else {
      try {
        const adapter = await initWebgpu();
        return {
          name: 'webgpu',
          tfBackend: 'webgpu',
          device: webgpuDeviceLabel(adapter),
          adapter,
          reasons,
          cores,
        };
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        if (choice === 'webgpu') throw new Error(`backend "webgpu" failed to start: ${msg}`);
        reasons.push(`webgpu: failed to start on "${probe.adapter.name}" (${msg})`);
      }
    }
  }
  if (choice === 'auto' || choice === 'cuda') {
    const cuda = probeCuda();
    let r: NativeLoad;
    if (!nativeInstalled('cuda') || cuda.ready) {
      r = loadNative('cuda');
      if (!r.ok && !cuda.ready) r.reason += `; also ${cuda.reason}`;
    } else {
      // Installed but CUDA is incomplete: loading libtensorflow would fail or abort the process.
      r = { ok: false, reason: `@tensorflow/tfjs-node-gpu is installed but ${cuda.reason}` };
    }
    if (r.ok) return native('cuda', r.device, reasons, cores);
    if (choice === 'cuda') throw new Error(`backend "cuda" is not available: ${r.reason}`);
    reasons.push(`cuda: ${r.reason}`);
  }
  if (choice === 'auto' || choice === 'tensorflow') {
    const r = loadNative('tensorflow');
    if (r.ok) return native('tensorflow', r.device, reasons, cores);
    if (choice === 'tensorflow') throw new Error(`backend "tensorflow" is not available: ${r.reason}`);
    reasons.push(`tensorflow: ${r.reason}`);
  }
  if (choice === 'auto' || choice === 'wasm') {
    try {
      const w = await initWasm({ threads: opts.threads ?? cores });
      registerWasmKernels();
      reasons.push(...w.notes);
      const device = `WebAssembly ${w.simd ? 'SIMD' : '(no SIMD)'}, ${w.threads} thread${w.threads === 1 ? '' : 's'}`;
      return { name: 'wasm', tfBackend: 'wasm', device, simd: w.simd, threads: w.threads, reasons, cores };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (choice === 'wasm') throw new Error(`backend "wasm" failed to start: ${msg}`);
      reasons.push(`wasm: failed to start (${msg}); reinstall the extension or run \`npm ci\``);
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the pure-JS cpu backend failed to start');
  await tf.ready();
  silenceCpuAdvice();
  return {
    name: 'cpu',
    tfBackend: 'cpu',
    device: `JavaScript CPU, tfjs-backend-cpu ${version_cpu} (slow)`,
    reasons,
    cores,
  };
}

async function native(
  name: 'cuda' | 'tensorflow',
  device: string,
  reasons: string[],
  cores: number,
): Promise<BackendInfo> {
  if (!(await tf.setBackend('tensorflow'))) {
    throw new Error(`the native "tensorflow" backend registered but failed to start (${name})`);
  }
  await tf.ready();
  return { name, tfBackend: 'tensorflow', device, reasons, cores };
}

/** tfjs-backend-cpu prints advice to install tfjs-node on first use; doctor and reasons already say so. */
export function silenceCpuAdvice(): void {
  const cpu = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (cpu) cpu.firstUse = false;
}
