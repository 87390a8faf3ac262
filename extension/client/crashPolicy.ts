/**
 * When to restart the backend after its connection closed: never after a reported fatal condition (mlm/fatal),
 * and not after `maxCrashes` crashes within a sliding window (the policy of vscode-languageclient's default
 * handler, made explicit and testable). Pure: the clock is passed in.
 */
export interface CrashPolicyOptions {
  /** Crashes within `windowMs` that make the client give up (the last one is not restarted). */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicyOptions = { maxCrashes: 5, windowMs: 3 * 60_000 };

export interface FatalReport {
  message: string;
  exitCode: number;
}

export type CloseDecision =
  | { action: 'restart'; crashesInWindow: number }
  | { action: 'give-up'; crashesInWindow: number }
  | { action: 'fatal'; fatal: FatalReport };

/** The buttons of the one error shown when the client stops restarting the backend. */
export const STOPPED_ACTIONS = ['Show Output', 'Restart Backend'] as const;

/**
 * What the client says, once, when it stops restarting the backend: why (the fatal's message, or the crash count in
 * the window), what to do, and the two buttons (STOPPED_ACTIONS). `status` is the short form for the status tooltip.
 */
export function stoppedNotice(
  decision: Exclude<CloseDecision, { action: 'restart' }>,
  options: CrashPolicyOptions,
): { status: string; message: string; actions: typeof STOPPED_ACTIONS } {
  const minutes = options.windowMs / 60_000;
  const status =
    decision.action === 'fatal'
      ? `The MLM backend stopped: ${decision.fatal.message}`
      : `The MLM backend crashed ${decision.crashesInWindow} times in ${minutes} minutes and was not restarted.`;
  return { status, message: `${status} Check the backend logs, then restart it.`, actions: STOPPED_ACTIONS };
}

export class CrashPolicy {
  private times: number[] = [];
  private fatal: FatalReport | undefined;

  constructor(readonly options: CrashPolicyOptions = DEFAULT_CRASH_POLICY) {}

  /** The backend announced a deliberate exit: the next close is final. */
  reportFatal(fatal: FatalReport): void {
    this.fatal = fatal;
  }

  /** The connection closed at `now` (ms): restart, or stop for good. */
  onClosed(now: number): CloseDecision {
    if (this.fatal) return { action: 'fatal', fatal: this.fatal };
    this.times = this.times.filter((t) => now - t < this.options.windowMs);
    this.times.push(now);
    const crashesInWindow = this.times.length;
    return crashesInWindow >= this.options.maxCrashes
      ? { action: 'give-up', crashesInWindow }
      : { action: 'restart', crashesInWindow };
  }

  /** Forget past crashes and fatals (the user restarted the backend by hand). */
  reset(): void {
    this.times = [];
    this.fatal = undefined;
  }
}
