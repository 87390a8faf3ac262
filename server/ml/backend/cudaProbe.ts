/**
 * Looks for what @tensorflow/tfjs-node-gpu 4.x needs: an NVIDIA driver (nvidia-smi), the CUDA 11 runtime
 * (libcudart.so.11.0) and cuDNN 8 (libcudnn.so.8), found through `ldconfig -p` or LD_LIBRARY_PATH.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface CudaProbe {
  /** Everything tfjs-node-gpu needs was found. */
  ready: boolean;
  /** From nvidia-smi, e.g. "NVIDIA GeForce RTX 3060, driver 535.104". */
  gpu?: string;
  driver?: string;
  cudart?: string;
  cudnn?: string;
  /** What is missing and what to install; empty when ready. */
  reason: string;
}

const CUDART = 'libcudart.so.11.0';
const CUDNN = 'libcudnn.so.8';

function run(cmd: string, args: string[]): string | undefined {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** Path of a shared library from the ldconfig cache or LD_LIBRARY_PATH, or undefined. */
export function findSharedLibrary(name: string, ldconfigOutput?: string): string | undefined {
  const cache = ldconfigOutput ?? run('ldconfig', ['-p']) ?? run('/sbin/ldconfig', ['-p']) ?? '';
  for (const line of cache.split('\n')) {
    const m = /^\s*(\S+)\s.*=>\s*(\S+)/.exec(line);
    if (m && m[1] === name) return m[2];
  }
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

let cached: CudaProbe | undefined;

export function probeCuda(): CudaProbe {
  if (cached) return cached;
  if (process.platform !== 'linux' && process.platform !== 'win32') {
    cached = { ready: false, reason: `no CUDA build of TensorFlow for ${process.platform}` };
    return cached;
  }
  const smi = run('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  const first = smi?.split('\n').find((l) => l.trim());
  const [gpu, driver] = first ? first.split(',').map((s) => s.trim()) : [];
  const cudart = process.platform === 'linux' ? findSharedLibrary(CUDART) : undefined;
  const cudnn = process.platform === 'linux' ? findSharedLibrary(CUDNN) : undefined;
  const missing: string[] = [];
  if (!gpu)
    missing.push('no NVIDIA GPU/driver found (nvidia-smi missing or failed): install the NVIDIA driver');
  if (process.platform === 'linux' && !cudart)
    missing.push(`${CUDART} not found: install the CUDA 11.2 runtime (cuda-cudart-11-2)`);
  if (process.platform === 'linux' && !cudnn)
    missing.push(`${CUDNN} not found: install cuDNN 8 for CUDA 11 (libcudnn8)`);
  cached = { ready: missing.length === 0, gpu, driver, cudart, cudnn, reason: missing.join('; ') };
  return cached;
}
