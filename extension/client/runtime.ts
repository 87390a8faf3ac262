/**
 * Which Node runs the local backend. `mlm.server.runtime` when set; else, in desktop VS Code (the extension host
 * is Electron run as Node), a system Node ≥ 20 found on PATH, because Dawn — the `webgpu` backend — cannot run
 * inside Electron: its V8 memory cage forbids the external ArrayBuffers Dawn maps GPU buffers into
 * (docs/compute.md, "Where Dawn loads"); else the extension host's own runtime (code-server's is a plain Node,
 * where Dawn runs; in Electron the backend then trains on WebAssembly). Pure: no `vscode` import.
 */
import { spawnSync } from 'node:child_process';

/** The oldest Node the backend supports (package.json `engines`). */
const MIN_NODE_MAJOR = 20;

export interface RuntimeChoice {
  /** The Node binary, or undefined for the extension host's own runtime. */
  runtime: string | undefined;
  /** What was chosen and why, for the backend log. */
  note: string;
}

export interface RuntimeProbe {
  /** Electron's version when the extension host is Electron (process.versions.electron). */
  electron: string | undefined;
  /** The extension host's binary (process.execPath). */
  execPath: string;
  /** The `node` that PATH resolves to: its absolute path and version ("v22.3.0"), or undefined when none runs. */
  systemNode: () => { path: string; version: string } | undefined;
}

export function chooseBackendRuntime(configured: string | undefined, probe: RuntimeProbe): RuntimeChoice {
  if (configured) return { runtime: configured, note: `${configured} (mlm.server.runtime)` };
  const own = `${probe.execPath} (extension host)`;
  if (!probe.electron) return { runtime: undefined, note: own };
  const node = probe.systemNode();
  const major = Number(/^v(\d+)\./.exec(node?.version ?? '')?.[1]);
  if (node && major >= MIN_NODE_MAJOR) {
    return {
      runtime: node.path,
      note: `${node.path} (system Node ${node.version}: the WebGPU backend cannot run inside VS Code's Electron ${probe.electron}; set mlm.server.runtime to choose another)`,
    };
  }
  return {
    runtime: undefined,
    note:
      `${own}; no system Node ≥ ${MIN_NODE_MAJOR} on PATH${node ? ` (${node.path} is ${node.version})` : ''}, so the ` +
      `WebGPU backend is unavailable (it cannot run inside Electron) and training uses WebAssembly: install Node.js ` +
      `${MIN_NODE_MAJOR}+ or set mlm.server.runtime`,
  };
}

/** The probe of this process: `node` from PATH prints its path and version (5 s limit). */
export function processRuntimeProbe(): RuntimeProbe {
  return {
    electron: process.versions.electron,
    execPath: process.execPath,
    systemNode: () => {
      const env = { ...process.env };
      delete env.ELECTRON_RUN_AS_NODE;
      const r = spawnSync('node', ['-p', 'process.execPath + "\\n" + process.version'], {
        encoding: 'utf8',
        timeout: 5000,
        env,
      });
      const [p, version] = (r.status === 0 ? r.stdout : '').trim().split('\n');
      return p && version ? { path: p, version } : undefined;
    },
  };
}
