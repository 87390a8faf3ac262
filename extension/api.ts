/** What activate() returns: a small surface for the extension-host tests (and other extensions). */
import type { Ctx } from './context';
import type { DashboardDebugInfo } from './dashboard/panel';

export interface MlmStudioApi {
  /** Ids of every command the extension registers (from the one command table). */
  commandIds: string[];
  /** The lifecycle context: status, events (onMetrics, onRunFinished, onServerStarted), serverPid, restart. */
  ctx: Ctx;
  /** The status item's current text. */
  statusText(): string;
  /** The dashboard panel's state and message counts. */
  dashboard(): DashboardDebugInfo;
  /** Runs offered for resuming (once each) after a reload or crash interrupted them, since activation. */
  resumeOffers(): string[];
}
