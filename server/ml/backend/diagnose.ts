/**
 * Everything `mlm doctor` reports: the backend in use and why, the state of each candidate backend
 * (installed? CUDA/cuDNN/driver found?), wasm SIMD/threads, cores and memory.
 */
import * as tf from '@tensorflow/tfjs-core';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { initBackend, type BackendChoice, type BackendInfo } from '../backend';
import { customWasmKernelNames } from '../kernels';
import { probeCuda, type CudaProbe } from './cudaProbe';
import { nativeInstalled } from './native';
import { measureMatmulPeak, type PeakMeasure } from './peak';
import { wasmDir } from './wasm';
import { probeWebgpu, webgpuInstalled, webgpuVersion, type WebgpuProbe } from './webgpu';

export interface Diagnosis {
  backend: BackendInfo;
  /** With { bench: true }: the measured matMul peak of this backend. */
  peak?: PeakMeasure;
  candidates: {
    /** Dawn (the optional `webgpu` package) and its adapter, whether or not it was chosen. */
    webgpu: { installed: boolean; version?: string; probe: WebgpuProbe };
    cuda: { installed: boolean; probe: CudaProbe };
    tensorflow: { installed: boolean };
    wasm: { binaries?: string; error?: string; customKernels: string[]; version: string };
  };
  machine: {
    cores: number;
    cpuModel: string;
    totalMemoryBytes: number;
    freeMemoryBytes: number;
    platform: string;
    node: string;
    tfjs: string;
  };
}

export async function diagnose(
  opts: { backend?: BackendChoice; threads?: number; bench?: boolean } = {},
): Promise<Diagnosis> {
  const backend = await initBackend({ backend: opts.backend, threads: opts.threads });
  let binaries: string | undefined;
  let error: string | undefined;
  try {
    binaries = wasmDir();
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const cpus = os.cpus();
  return {
    backend,
    peak: opts.bench ? await measureMatmulPeak() : undefined,
    candidates: {
      webgpu: { installed: webgpuInstalled(), version: webgpuVersion(), probe: await probeWebgpu() },
      cuda: { installed: nativeInstalled('cuda'), probe: probeCuda() },
      tensorflow: { installed: nativeInstalled('tensorflow') },
      wasm: { binaries, error, customKernels: customWasmKernelNames(), version: version_wasm },
    },
    machine: {
      cores: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: os.totalmem(),
      freeMemoryBytes: os.freemem(),
      platform: `${process.platform} ${process.arch}`,
      node: process.version,
      tfjs: tf.version_core,
    },
  };
}
