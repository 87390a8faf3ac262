/**
 * The part of the WebAssembly JavaScript API the kernels use. Node has the WebAssembly global, but its types
 * live in TypeScript's DOM library, which the Node code does not load (tsconfig.json); code checked with the DOM
 * library (tests) uses those instead.
 */
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: ArrayBuffer | ArrayBufferView<ArrayBuffer>);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
