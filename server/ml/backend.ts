/**
 * Compute backend selection, done once per process (or worker thread) and reported everywhere.
 * Order: tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (SIMD, threaded where it works) → pure-JS cpu.
 * The native packages are optionalDependencies: they are loaded with a non-bundled require and may be absent.
 */
import * as tf from '@tensorflow/tfjs-core';
// Named import: a bare one is dropped by esbuild (the package declares no side effects) and with it the
// registration of the cpu backend.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
// tfjs-core's CommonJS build registers no gradients; training needs all of them (global registry).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import os from 'node:os';
import { probeCuda } from './backend/cudaProbe';
import { loadNative, nativeInstalled, type NativeLoad } from './backend/native';
import { initWasm } from './backend/wasm';
import { registerFusedKernels, registerWasmKernels } from './kernels';

/** What the user asks for: `auto` tries the backends in order of speed. */
export type BackendChoice = 'auto' | 'cuda' | 'tensorflow' | 'wasm' | 'cpu';
/** The backend that runs. `cuda` and `tensorflow` are both tfjs's "tensorflow" backend (libtensorflow). */
export type BackendName = 'cuda' | 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cuda', 'tensorflow', 'wasm', 'cpu'];

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
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`unknown backend "${String(choice)}": use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const cores = os.cpus().length || 1;
  const reasons: string[] = [];

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
