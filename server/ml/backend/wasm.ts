/**
 * Starts tfjs's WebAssembly backend from the binaries shipped with the extension: dist/wasm/ next to the
 * bundle, or the package's own dist/ folder when running from source (tsx).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import fs from 'node:fs';
import path from 'node:path';
import { installWasmHeapGuard } from './wasmHeap';
import { startThreadedWasm } from './wasmThreaded';

export interface WasmStart {
  simd: boolean;
  threads: number;
  /** Remarks for BackendInfo.reasons (e.g. why fewer threads than asked). */
  notes: string[];
}

const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

/** The folder holding the .wasm binaries, ending in a path separator (tfjs concatenates file names). */
export function wasmDir(): string {
  const candidates = [path.join(__dirname, 'wasm'), path.join(__dirname, '..', 'wasm')];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/' + SIMD_BINARY)));
  } catch {
    // not resolvable from here (bundled without node_modules): rely on dist/wasm
  }
  candidates.push(path.join(process.cwd(), 'node_modules/@tensorflow/tfjs-backend-wasm/dist'));
  const dir = candidates.find((d) => fs.existsSync(path.join(d, SIMD_BINARY)));
  if (!dir) {
    throw new Error(
      `the WebAssembly binaries (${SIMD_BINARY}) were not found in ${candidates.join(', ')}: ` +
        'rebuild with `npm run build` (copies them to dist/wasm) or reinstall the extension',
    );
  }
  return dir + path.sep;
}

export async function initWasm(opts: { threads: number }): Promise<WasmStart> {
  const notes: string[] = [];
  const dir = wasmDir();
  setWasmPaths(dir);
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  if (!simd)
    notes.push('wasm: this Node has no WebAssembly SIMD; the plain binary is ~3x slower: use Node >= 16.4');
  if (opts.threads > 1 && simd) {
    try {
      const threads = await startThreadedWasm(dir, opts.threads);
      installWasmHeapGuard();
      if (threads < opts.threads)
        notes.push(`wasm: XNNPACK runs ${threads} of the ${opts.threads} threads asked for`);
      return { simd, threads, notes };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      notes.push(`wasm: the threaded-SIMD binary failed to start (${msg}); using 1 thread`);
    }
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  installWasmHeapGuard();
  return { simd, threads: 1, notes };
}
