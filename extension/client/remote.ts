/**
 * The parts of a remote backend connection that are not VS Code state: where its token is kept, how long to wait
 * before each reconnect, and the error handler that hands a dropped connection to the reconnect loop instead of the
 * library's restart (a socket backend is not ours to restart: it keeps running, and training, without us).
 */
import {
  CloseAction,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type Message,
} from 'vscode-languageclient/node';
import { MlmErrorCodes } from '../../protocol/errors';
import { formatRemoteAddress, type RemoteAddress } from '../settings';

/** SecretStorage key of a remote backend's token (one per address). */
export const tokenKey = (a: RemoteAddress): string => `mlm.server.token/${formatRemoteAddress(a)}`;

/** Reconnect delays: 1 s, doubling to at most 30 s; reset once connected. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly firstMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** The delay before the next attempt (and counts it). */
  next(): number {
    const ms = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    this.attempt++;
    return ms;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** True for the backend's answer to an `initialize` without its token (no reconnect can fix that). */
export function isUnauthorized(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === MlmErrorCodes.Unauthorized;
}

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
