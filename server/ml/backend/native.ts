/**
 * Loads the optional native TensorFlow backends (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node).
 * They are optionalDependencies whose install downloads libtensorflow from Google's storage, so they are often
 * missing: the require is not bundled (esbuild leaves it to Node) and every failure becomes a reason with a fix.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export type NativeLoad = { ok: true; device: string } | { ok: false; reason: string };

const PACKAGES = { cuda: '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

/** Node's require, resolving from this file (dist/ when bundled, server/ml/backend/ under tsx). */
function nodeRequire(): NodeJS.Require {
  return createRequire(path.join(__dirname, 'index.js'));
}

/** True when the package can be resolved (installed), without loading it. */
export function nativeInstalled(kind: keyof typeof PACKAGES): boolean {
  try {
    nodeRequire().resolve(PACKAGES[kind]);
    return true;
  } catch {
    return false;
  }
}

/** Requires the native package, which registers tfjs's "tensorflow" backend on success. */
export function loadNative(kind: keyof typeof PACKAGES): NativeLoad {
  const pkg = PACKAGES[kind];
  if (!nativeInstalled(kind)) {
    return {
      ok: false,
      reason:
        `${pkg} is not installed (it is optional; its install downloads libtensorflow from Google's storage): ` +
        `run \`npm install ${pkg}@4.22.0\` in the extension folder with internet access` +
        (kind === 'cuda' ? ', with CUDA 11.2 and cuDNN 8 installed' : ''),
    };
  }
  try {
    nodeRequire()(pkg);
    return { ok: true, device: kind === 'cuda' ? 'CUDA GPU (libtensorflow)' : 'CPU (native libtensorflow)' };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return {
      ok: false,
      reason:
        `${pkg} is installed but failed to load (${msg}); ` +
        (kind === 'cuda'
          ? 'check that CUDA 11.2 (libcudart.so.11.0) and cuDNN 8 (libcudnn.so.8) are on the library path'
          : `reinstall it: \`npm rebuild ${pkg}\``),
    };
  }
}
