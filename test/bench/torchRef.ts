/**
 * The PyTorch CPU reference (torch_ref.py) as a child process the bench drives command by command, so
 * that its timed windows interleave with ours in the same invocation. Installs PyTorch with apt when it
 * is missing and we run as root. Thread settings follow docs/benchmarks.md: 1 torch thread,
 * OpenBLAS on all cores, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this command only.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/** apt packages of the reference: PyTorch, the OpenBLAS it should run on, and the probe that names its kernel. */
export const TORCH_APT_PACKAGES = ['python3-torch', 'libopenblas0-pthread', 'python3-threadpoolctl'];
/** Variables the environment may set that force older OpenBLAS kernels (benchmarks.md). */
const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];
const SCRIPT = path.join(__dirname, 'torch_ref.py');

export interface TorchInfo {
  python: string;
  torch: string;
  torchThreads: number;
  openblas: {
    kernel: string | null;
    library: string | null;
    threads?: number;
    source: string;
    warning?: string;
  };
  env: Record<string, string | null>;
  /** What the environment had set before we unset it for the reference. */
  unset: Record<string, string>;
  installed: string[];
}

type Reply = Record<string, unknown> & { ok: boolean; error?: string };

export class TorchReference {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(r: Reply) => void> = [];
  private stderr = '';
  private exited: string | undefined;

  private constructor(
    readonly python: string,
    threads: number,
  ) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OPENBLAS_NUM_THREADS: String(threads),
      OMP_NUM_THREADS: '1',
    };
    for (const k of OPENBLAS_OVERRIDES) delete env[k];
    this.child = spawn(python, [SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const resolve = this.waiting.shift();
      if (resolve) resolve(JSON.parse(line) as Reply);
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on('exit', (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      for (const resolve of this.waiting.splice(0)) resolve({ ok: false, error: this.exited });
    });
  }

  /** Starts the reference (installing PyTorch first when missing and allowed). */
  static async start(opts: { threads?: number; install?: boolean } = {}): Promise<TorchReference> {
    const installed = ensureTorch(opts.install ?? true);
    const ref = new TorchReference(
      findPython(),
      opts.threads ?? os.availableParallelism?.() ?? os.cpus().length,
    );
    const info = await ref.call('info');
    const unset: Record<string, string> = {};
    for (const k of OPENBLAS_OVERRIDES) if (process.env[k] !== undefined) unset[k] = process.env[k]!;
    ref.info = { ...(info as unknown as TorchInfo), python: ref.python, unset, installed };
    return ref;
  }

  info!: TorchInfo;

  /** Sends one command and waits for its reply; throws with the reference's stderr on failure. */
  call(cmd: string, args: Record<string, unknown> = {}): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(`the PyTorch reference ${this.exited}: ${this.stderr}`));
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.push((r) =>
        r.ok
          ? resolve(r)
          : reject(new Error(`PyTorch reference failed on "${cmd}": ${r.error ?? ''}\n${this.stderr}`)),
      );
      this.child.stdin.write(`${JSON.stringify({ cmd, ...args })}\n`);
    });
  }

  close(): void {
    if (!this.exited) this.child.stdin.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
  }
}

/** Debian's python3 sees apt's python3-torch; a pyenv/venv python3 earlier on PATH usually does not. */
function findPython(): string {
  for (const py of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return '/usr/bin/python3';
}

function probe(): { torch: boolean; openblas: boolean; threadpoolctl: boolean } {
  const py = findPython();
  const r = spawnSync(
    py,
    [
      '-c',
      'import torch, threadpoolctl as t; print(any(l.get("internal_api") == "openblas" for l in t.threadpool_info()))',
    ],
    { encoding: 'utf8' },
  );
  if (r.status === 0) return { torch: true, threadpoolctl: true, openblas: r.stdout.trim() === 'True' };
  const t = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  return { torch: t, threadpoolctl: false, openblas: false };
}

/**
 * Makes sure PyTorch (and OpenBLAS, and threadpoolctl to name the kernel) are installed. Returns the apt
 * packages it installed. Without root it only installs nothing and throws when torch itself is missing.
 */
function ensureTorch(install: boolean): string[] {
  const p = probe();
  if (p.torch && p.openblas && p.threadpoolctl) return [];
  const missing = [
    ...(p.torch ? [] : ['python3-torch']),
    ...(p.openblas ? [] : ['libopenblas0-pthread']),
    ...(p.threadpoolctl ? [] : ['python3-threadpoolctl']),
  ];
  const isRoot = process.getuid?.() === 0;
  if (!install || !isRoot) {
    if (p.torch) return []; // runs, but the torch_ref info will say which BLAS/kernel it found
    throw new Error(
      `PyTorch is not installed for ${findPython()}: run \`sudo apt-get install -y ${TORCH_APT_PACKAGES.join(' ')}\`` +
        ` (the bench installs it itself when run as root), or pass --no-torch to measure only ours`,
    );
  }
  process.stderr.write(`bench: installing ${missing.join(' ')} with apt-get (the PyTorch reference)\n`);
  const apt = (args: string[]) =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=900', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (!apt(['install', '-y', ...missing]) && !(apt(['update']) && apt(['install', '-y', ...missing]))) {
    throw new Error(
      `apt-get install ${missing.join(' ')} failed (see above): install them by hand or pass --no-torch`,
    );
  }
  return missing;
}
