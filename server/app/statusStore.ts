/**
 * The one status source. Patches merge into the current ServerStatus; a change of `state` is pushed at once,
 * anything else at most every minIntervalMs (the last value always goes out).
 */
import type { ServerStatus } from '../../protocol/status';

export class StatusStore {
  private current: ServerStatus = { state: 'idle', backend: '', device: '' };
  private lastPush = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly push: (s: ServerStatus) => void,
    private readonly minIntervalMs = 200,
  ) {}

  get(): ServerStatus {
    return { ...this.current };
  }

  update(patch: Partial<ServerStatus>): void {
    const next: ServerStatus = { ...this.current, ...patch };
    // `undefined` in a patch clears the field (so it is absent from the JSON).
    for (const k of Object.keys(next) as Array<keyof ServerStatus>) if (next[k] === undefined) delete next[k];
    const stateChanged = next.state !== this.current.state;
    this.current = next;
    if (stateChanged || Date.now() - this.lastPush >= this.minIntervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.minIntervalMs - (Date.now() - this.lastPush));
  }

  /** Pushes the current status now (also used right after a client connects). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.lastPush = Date.now();
    this.push(this.get());
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
