/** The pthread worker script of tfjs-backend-wasm's threaded-SIMD build (a CommonJS file without types). */
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  export const wasmWorkerContents: string;
}
