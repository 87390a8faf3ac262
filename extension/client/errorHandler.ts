/**
 * Crash handling around vscode-languageclient's default handler: transport errors go to the library default;
 * a closed connection is restarted or not as CrashPolicy decides (no restart after mlm/fatal or after 5 crashes
 * in 3 minutes), and the owner shows one actionable message when the client stops.
 */
import {
  CloseAction,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type Message,
} from 'vscode-languageclient/node';
import type { CloseDecision, CrashPolicy } from './crashPolicy';

export interface CrashHandlerHooks {
  /** The library's default handler (client.createDefaultErrorHandler()). */
  fallback: () => ErrorHandler;
  /** The client stops for good (fatal, or too many crashes): show the actionable message. */
  onStopped(decision: Exclude<CloseDecision, { action: 'restart' }>): void;
  /** The client is about to restart the backend. */
  onRestarting(crashesInWindow: number): void;
  log(message: string): void;
}

export class CrashHandler implements ErrorHandler {
  constructor(
    private readonly policy: CrashPolicy,
    private readonly hooks: CrashHandlerHooks,
  ) {}

  error(
    error: Error,
    message: Message | undefined,
    count: number | undefined,
  ): ErrorHandlerResult | Promise<ErrorHandlerResult> {
    this.hooks.log(`connection error (${count ?? 1}): ${error.message}`);
    return this.hooks.fallback().error(error, message, count);
  }

  closed(): CloseHandlerResult {
    const decision = this.policy.onClosed(Date.now());
    const minutes = this.policy.options.windowMs / 60_000;
    switch (decision.action) {
      case 'fatal':
        this.hooks.log(
          `backend exited after a fatal error (exit ${decision.fatal.exitCode}); not restarting`,
        );
        this.hooks.onStopped(decision);
        return { action: CloseAction.DoNotRestart, handled: true };
      case 'give-up':
        this.hooks.log(
          `backend crashed ${decision.crashesInWindow} times in ${minutes} minutes; not restarting`,
        );
        this.hooks.onStopped(decision);
        return { action: CloseAction.DoNotRestart, handled: true };
      case 'restart':
        this.hooks.log(
          `backend connection closed (crash ${decision.crashesInWindow} in ${minutes} minutes); restarting`,
        );
        this.hooks.onRestarting(decision.crashesInWindow);
        return { action: CloseAction.Restart, handled: true };
    }
  }
}

/**
 * A remote backend's handler: a dropped connection goes to the owner's reconnect loop instead of the library's
 * restart (a socket backend is not ours to restart: it keeps running, and training, without us).
 */
export class RemoteErrorHandler implements ErrorHandler {
  constructor(
    private readonly fallback: () => ErrorHandler,
    /** The connection dropped: the owner reconnects (with back-off). */
    private readonly dropped: () => void,
    private readonly log: (message: string) => void,
  ) {}

  error(
    error: Error,
    message: Message | undefined,
    count: number | undefined,
  ): ErrorHandlerResult | Promise<ErrorHandlerResult> {
    this.log(`remote connection error (${count ?? 1}): ${error.message}`);
    return this.fallback().error(error, message, count);
  }

  closed(): CloseHandlerResult {
    this.dropped();
    return { action: CloseAction.DoNotRestart, handled: true };
  }
}
