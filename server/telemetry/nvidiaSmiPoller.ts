/**
 * Polls nvidia-smi without ever running two at once: a poll that is still running is awaited, not duplicated.
 * A run that fails (absent binary, non-zero exit, timeout, unparsable output) yields `gpus: null` with the reason,
 * and the next real attempt is pushed back exponentially (up to maxBackoffMs); a success resets the back-off.
 */
import { execFile } from 'node:child_process';
import type { GpuDevice } from '../../protocol/status';
import { NVIDIA_SMI_ARGS, parseNvidiaSmiCsv } from './nvidiaSmiCsv';

export interface SmiRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not start (ENOENT ...) or was killed by the timeout. */
  error?: { code?: string; message: string; timedOut?: boolean };
}

/** Runs nvidia-smi once; injectable for tests. Must resolve (never reject) after the process has exited. */
export type SmiRunner = (timeoutMs: number) => Promise<SmiRun>;

export interface GpuReading {
  gpus: GpuDevice[] | null;
  /** "" when the GPUs were read; otherwise why not, e.g. "nvidia-smi not found on PATH". */
  reason: string;
}

export const execNvidiaSmi: SmiRunner = (timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      [...NVIDIA_SMI_ARGS],
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & {
          killed?: boolean;
          signal?: string | null;
          code?: number | string;
        };
        const timedOut = Boolean(e.killed) && e.signal === 'SIGKILL';
        resolve({
          code: typeof e.code === 'number' ? e.code : null,
          stdout,
          stderr,
          error:
            typeof e.code === 'number' && !timedOut
              ? undefined
              : { code: String(e.code ?? ''), message: e.message, timedOut },
        });
      },
    );
  });

export interface PollerOptions {
  timeoutMs: number;
  /** First back-off after a failure; doubles per consecutive failure. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  run?: SmiRunner;
  now?: () => number;
  /**
   * False while something else may be running nvidia-smi (a worker's CUDA probe during backend start): the poll
   * then returns the last reading, so two nvidia-smi never run at once.
   */
  mayRun?: () => boolean;
}

export class NvidiaSmiPoller {
  private inFlight: Promise<GpuReading> | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  private last: GpuReading = { gpus: null, reason: 'nvidia-smi not queried yet' };
  private readonly run: SmiRunner;
  private readonly now: () => number;

  constructor(private readonly opts: PollerOptions) {
    this.run = opts.run ?? execNvidiaSmi;
    this.now = opts.now ?? Date.now;
  }

  /** The newest reading; starts a query unless one is running or the back-off has not expired. */
  poll(): Promise<GpuReading> {
    if (this.inFlight) return this.inFlight;
    if (this.now() < this.nextAttemptAt || this.opts.mayRun?.() === false) return Promise.resolve(this.last);
    this.inFlight = this.query().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async query(): Promise<GpuReading> {
    const r = await this.run(this.opts.timeoutMs);
    const reading = interpretSmiRun(r, this.opts.timeoutMs);
    if (reading.gpus) {
      this.failures = 0;
      this.nextAttemptAt = 0;
    } else {
      const backoff = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** this.failures);
      this.failures++;
      this.nextAttemptAt = this.now() + backoff;
      reading.reason += `; next try in ${Math.round(backoff / 1000)} s`;
    }
    this.last = reading;
    return reading;
  }
}

/** Maps one nvidia-smi run to GPUs or the reason there are none (pure). */
export function interpretSmiRun(r: SmiRun, timeoutMs: number): GpuReading {
  if (r.error?.timedOut) return { gpus: null, reason: `nvidia-smi did not answer within ${timeoutMs} ms` };
  if (r.error?.code === 'ENOENT')
    return { gpus: null, reason: 'nvidia-smi not found on PATH (no NVIDIA driver)' };
  if (r.error) return { gpus: null, reason: `nvidia-smi could not run: ${r.error.message}` };
  if (r.code !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0]?.slice(0, 200) || 'no output';
    return { gpus: null, reason: `nvidia-smi failed (exit ${r.code}): ${why}` };
  }
  const { gpus } = parseNvidiaSmiCsv(r.stdout);
  if (!gpus.length) return { gpus: null, reason: 'nvidia-smi listed no GPUs' };
  return { gpus, reason: '' };
}
