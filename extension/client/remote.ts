/**
 * The parts of a remote backend connection that are not VS Code state: where its token is kept, how long to wait
 * before each reconnect, and what a refused token looks like (its error handler is in errorHandler.ts).
 */
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
