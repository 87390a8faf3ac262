/** Pause/resume for TrainControl.waitIfPaused: wait() resolves at once unless paused; abort releases it too. */
export class PauseGate {
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(signal?: AbortSignal) {
    signal?.addEventListener('abort', () => this.resume(), { once: true });
  }

  get paused(): boolean {
    return this.waiting !== undefined;
  }

  pause(): void {
    if (this.waiting) return;
    this.waiting = new Promise<void>((r) => (this.release = r));
  }

  resume(): void {
    const release = this.release;
    this.waiting = undefined;
    this.release = undefined;
    release?.();
  }

  wait(): Promise<void> {
    return this.waiting ?? Promise.resolve();
  }
}
