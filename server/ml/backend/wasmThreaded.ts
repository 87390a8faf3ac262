/**
 * The threaded-SIMD wasm binary in Node. tfjs-backend-wasm 4.22 hard-codes multithreading off under Node, and
 * forcing its flag fails (ERR_WORKER_PATH: Emscripten gets Blob URLs that worker_threads cannot load). Here the
 * package's own threaded-SIMD Emscripten factory is instantiated with file paths instead — the main script and
 * the pthread worker script written to a temporary folder, the .wasm from the binaries folder — and the "wasm"
 * backend is re-registered around the resulting module, so every kernel (stock and ours) runs on it.
 * XNNPACK then uses a pool of `threads` pthreads. The pthreads keep the process alive: CLIs exit explicitly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import threadedFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

const BINARY = 'tfjs-backend-wasm-threaded-simd.wasm';

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { unusedWorkers: Array<{ unref?(): void }>; runningWorkers: Array<{ unref?(): void }> };
}

/**
 * Emscripten's pthreads are worker_threads that would keep Node alive after the work is done (a CLI or a test
 * file would never exit): unref them, now and whenever the pool grows.
 */
function unrefPthreads(module: EmscriptenModule): void {
  const p = module.PThread;
  if (!p) return;
  const unrefAll = (): void => {
    for (const w of [...p.unusedWorkers, ...p.runningWorkers]) w.unref?.();
  };
  unrefAll();
  const pool = p as unknown as { allocateUnusedWorker?: () => void };
  const allocate = pool.allocateUnusedWorker;
  if (allocate) {
    pool.allocateUnusedWorker = () => {
      allocate.call(p);
      unrefAll();
    };
  }
}
type Factory = ((config: Record<string, unknown>) => Promise<EmscriptenModule>) & { toString(): string };

/** Both are plain CommonJS files of the package, bundled by esbuild. */
function loadFactory(): { factory: Factory; workerSource: string } {
  return { factory: threadedFactory as unknown as Factory, workerSource: wasmWorkerContents };
}

/** Writes the scripts the pthreads load (once per process) and returns their paths. */
function writeScripts(factory: Factory, workerSource: string): { main: string; worker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-wasm-'));
  const main = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const worker = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  fs.writeFileSync(main, `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`);
  // The source comes from a template literal whose \n escapes became newlines inside string literals:
  // escape them again, as tfjs does before making its Blob.
  fs.writeFileSync(worker, workerSource.replace(/\n/g, '\\n'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return { main, worker };
}

/**
 * Replaces the "wasm" backend by one on the threaded-SIMD binary with `threads` XNNPACK threads and makes it
 * the active backend. Returns the thread count XNNPACK reports.
 */
export async function startThreadedWasm(binariesDir: string, threads: number): Promise<number> {
  const binary = path.join(binariesDir, BINARY);
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: rebuild with \`npm run build\``);
  const { factory, workerSource } = loadFactory();
  const scripts = writeScripts(factory, workerSource);
  const module = await withCoreCount(2 * threads, () =>
    factory({
      mainScriptUrlOrBlob: scripts.main,
      locateFile: (file: string) =>
        file.endsWith('.worker.js') ? scripts.worker : file.endsWith('.wasm') ? binary : file,
    }),
  );
  // The bridge tfjs's own init() installs (tf-backend-wasm's `module.tfjs`).
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    () =>
      withCoreCount(
        2 * threads,
        // init_with_threads_count runs in the constructor and may read the core count again.
        () =>
          Promise.resolve(new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0])),
      ),
    2,
  );
  if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend failed to initialise');
  await tf.ready();
  unrefPthreads(module);
  return (module.tfjs.getThreadsCount as () => number)();
}

/**
 * tfjs's C++ caps XNNPACK's pool at half the logical cores, read through emscripten_num_logical_cores (os.cpus()
 * in Node) while the module instantiates: a 2-core machine would get 1 thread. During instantiation only,
 * os.cpus() reports `cores` entries.
 */
async function withCoreCount<T>(cores: number, f: () => Promise<T>): Promise<T> {
  // The module object itself (an ES default import may be a copy of its properties).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeOs = require('node:os') as typeof os;
  const real = nodeOs.cpus;
  const list = real();
  nodeOs.cpus = () => Array.from({ length: Math.max(cores, list.length) }, (_, i) => list[i % list.length]);
  try {
    return await f();
  } finally {
    nodeOs.cpus = real;
  }
}
