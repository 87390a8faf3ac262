/**
 * The WebAssembly heap of this thread's wasm backend: what tensors hold in it, its ceiling, and what happens
 * when it is full. tfjs-backend-wasm allocates every tensor with the module's `_malloc`; when that fails it
 * returns 0, tfjs writes the tensor at address 0 anyway and the module later dies with a bare "Aborted()"
 * (Emscripten's abort: the module is unusable afterwards, and a threaded module's locks may be held for
 * ever, so any further call can spin). The guard installed here wraps `_malloc`/`_free`:
 *   - it counts the live bytes of tensor data (and their peak) for the memory estimate and the bench;
 *   - an allocation that would pass the ceiling (4 GiB, less a reserve the C++ kernels' own scratch needs),
 *     or that `_malloc` refuses, throws WasmOutOfMemoryError before anything is written: the module stays
 *     consistent and the trainer can back off (train/memory.ts) with a smaller micro-batch;
 *   - Emscripten's abort hook marks the module dead (wasmAborted()), so callers stop calling into it.
 * MLM_WASM_HEAP_LIMIT (bytes, or with a MiB/GiB suffix) lowers the ceiling: to share a machine's memory, and
 * for tests that inject an allocation failure. MLM_WASM_FAULT=abort@N turns the Nth allocation into an
 * Emscripten abort (tests of the abort path). MLM_REPLICA_WASM_FAULT / MLM_REPLICA_WASM_HEAP_LIMIT set them
 * in data-parallel replica threads only.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The wasm32 heap's hard maximum in tfjs-backend-wasm 4.22 (Emscripten's getHeapMax: 4 GiB − 64 KiB). */
export const WASM_HEAP_MAX_BYTES = 4294901760;
/** Kept free for allocations the guard does not see (XNNPACK scratch, C++ vectors) and fragmentation. */
export const WASM_HEAP_RESERVE_BYTES = 192 * 2 ** 20;

/** Message fragment of Emscripten's abort error ("Aborted(…). Build with -sASSERTIONS for more info."). */
const ABORT_RE = /^Aborted\(/;

/** An allocation on the wasm heap failed; the module is intact (nothing was written). */
export class WasmOutOfMemoryError extends Error {
  readonly kind = 'out-of-memory' as const;
  constructor(
    /** Bytes asked for. */
    readonly requested: number,
    /** Live tensor bytes on the heap when it failed. */
    readonly live: number,
    /** The ceiling in force. */
    readonly limit: number,
  ) {
    super(
      `out of memory on the WebAssembly heap: ${mib(requested)} asked with ${mib(live)} in use of ${mib(limit)}`,
    );
    this.name = 'WasmOutOfMemoryError';
  }
}

/** True for Emscripten's abort error (a WebAssembly.RuntimeError "Aborted(…)"). */
export function isWasmAbort(err: unknown): boolean {
  return err instanceof Error && ABORT_RE.test(err.message);
}

export interface WasmHeapStats {
  /** Live bytes of tensor data allocated through the guard. */
  liveBytes: number;
  /** Highest liveBytes since the last resetPeak(). */
  peakBytes: number;
  /** Current size of the wasm memory (it only grows). */
  heapBytes: number;
  /** The ceiling the guard enforces. */
  limitBytes: number;
  /** Emscripten aborted: the module must not be called again. */
  aborted: boolean;
  abortReason?: string;
}

interface EmscriptenHeapModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  onAbort?: (what: unknown) => void;
}

interface Guard {
  module: EmscriptenHeapModule;
  sizes: Map<number, number>;
  live: number;
  peak: number;
  limit: number;
  aborted: boolean;
  abortReason?: string;
  /** MLM_WASM_FAULT=abort@N: allocations left before the injected abort. */
  abortIn?: number;
}

let guard: Guard | undefined;

const mib = (b: number): string => `${Math.round(b / 2 ** 20)} MiB`;

/** Parses "3000000000", "2048MiB", "1.5GiB" (also MB/GB, read as binary units); undefined when unset. */
export function parseHeapLimit(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*$/i.exec(text);
  if (!m) throw new Error(`MLM_WASM_HEAP_LIMIT must be a size such as 2048MiB or 3GiB, got "${text}"`);
  const unit = m[2].toLowerCase()[0] ?? '';
  const scale = unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : 1;
  return Math.min(WASM_HEAP_MAX_BYTES, Math.floor(Number(m[1]) * scale));
}

/** The ceiling a guard installed now would enforce (MLM_WASM_HEAP_LIMIT, else the wasm32 maximum). */
export function wasmHeapLimit(): number {
  return parseHeapLimit(process.env.MLM_WASM_HEAP_LIMIT) ?? WASM_HEAP_MAX_BYTES;
}

/** Installs the guard on the active wasm backend's module (idempotent per module). */
export function installWasmHeapGuard(): void {
  const backend = tf.backend() as unknown as { wasm?: EmscriptenHeapModule };
  const module = backend.wasm;
  if (!module || guard?.module === module) return;
  const fault = /^abort@(\d+)$/.exec(process.env.MLM_WASM_FAULT ?? '');
  const g: Guard = {
    module,
    sizes: new Map(),
    live: 0,
    peak: 0,
    limit: wasmHeapLimit(),
    aborted: false,
    abortIn: fault ? Number(fault[1]) : undefined,
  };
  // Emscripten's exports start as stubs that replace Module._malloc/_free with the raw export on their first
  // call (which would drop a wrapper installed over the stub): call each once before wrapping.
  module._free(module._malloc(8));
  const malloc = module._malloc.bind(module);
  const free = module._free.bind(module);
  module._malloc = (n: number): number => {
    if (g.aborted) throw abortedError(g);
    if (g.abortIn !== undefined && --g.abortIn <= 0) {
      g.abortIn = undefined;
      // The error Emscripten's abort() throws, with its hook called first (as a real abort does).
      module.onAbort?.('');
      // (WebAssembly.RuntimeError: Node's global, absent from the TypeScript lib this project compiles with.)
      const RuntimeError = (WebAssembly as unknown as { RuntimeError: ErrorConstructor }).RuntimeError;
      throw new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
    }
    if (n >= 4096 && g.live + n > g.limit - WASM_HEAP_RESERVE_BYTES)
      throw new WasmOutOfMemoryError(n, g.live, g.limit);
    const p = malloc(n) >>> 0;
    if (p === 0 && n > 0) throw new WasmOutOfMemoryError(n, g.live, g.limit);
    g.sizes.set(p, n);
    g.live += n;
    if (g.live > g.peak) g.peak = g.live;
    return p;
  };
  module._free = (p: number): void => {
    // After an abort the allocator may be mid-update (and a threaded one's lock held): leak instead.
    if (g.aborted) return;
    const n = g.sizes.get(p >>> 0);
    if (n !== undefined) {
      g.sizes.delete(p >>> 0);
      g.live -= n;
    }
    free(p);
  };
  module.onAbort = (what: unknown) => {
    g.aborted = true;
    g.abortReason = String(what ?? '');
  };
  guard = g;
}

function abortedError(g: Guard): Error {
  return new Error(
    `the WebAssembly module aborted earlier (${g.abortReason || 'no reason given'}) and cannot be used again`,
  );
}

/** The guard's figures, or undefined when this thread has no wasm backend. */
export function wasmHeapStats(): WasmHeapStats | undefined {
  if (!guard) return undefined;
  return {
    liveBytes: guard.live,
    peakBytes: guard.peak,
    heapBytes: guard.module.HEAPU8.length,
    limitBytes: guard.limit,
    aborted: guard.aborted,
    abortReason: guard.abortReason,
  };
}

/** Starts a new peak measurement from the current live bytes. */
export function resetWasmPeak(): void {
  if (guard) guard.peak = guard.live;
}

/** Changes the ceiling of the installed guard (tests, and callers that share memory between replicas). */
export function setWasmHeapLimit(bytes: number): void {
  if (guard) guard.limit = Math.min(bytes, WASM_HEAP_MAX_BYTES);
}

/**
 * True when this thread's wasm module has aborted: nothing may call into it any more (disposing tensors
 * included). Also true after an abort error reached the caller before the hook ran.
 */
export function wasmAborted(err?: unknown): boolean {
  if (guard?.aborted) return true;
  if (err !== undefined && isWasmAbort(err)) {
    if (guard) guard.aborted = true;
    return true;
  }
  return false;
}
