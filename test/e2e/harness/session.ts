// One e2e run: owns every code-server, browser and temp folder it starts, tears all of them down in
// `close()` (also after failures) and then checks through /proc that nothing it started is left.
import fs from 'node:fs';
import { launchBrowser, type Browser } from './browser';
import { CodeServer, type CodeServerOptions } from './codeServer';
import type { Log } from './log';
import { killGroup, killPid, startedBy, waitFor } from './processes';
import path from 'node:path';
import { outDir } from './paths';

export class Session {
  /** Environment marker inherited by everything the session starts (code-server, its tree, chromium). */
  readonly marker: [string, string] = ['MLM_E2E_RUN', `${process.pid}-${Date.now()}`];
  private readonly servers: CodeServer[] = [];
  private readonly browsers: Browser[] = [];
  private readonly sessions: number[] = [];
  private readonly tempPaths: string[] = [];

  constructor(
    readonly log: Log,
    readonly codeServerEntry: string,
    readonly vsix: string,
  ) {}

  async startCodeServer(opts: Pick<CodeServerOptions, 'trust' | 'label' | 'env'>): Promise<CodeServer> {
    const server = new CodeServer({
      ...opts,
      entry: this.codeServerEntry,
      vsix: this.vsix,
      marker: this.marker,
      log: this.log,
    });
    this.servers.push(server);
    await server.start();
    if (server.pid !== undefined) this.sessions.push(server.pid);
    return server;
  }

  /** Last resort on a signal or an unexpected exit: SIGKILL every code-server group, synchronously. */
  killNow(): void {
    for (const s of this.servers) if (s.pid !== undefined) killGroup(s.pid, 'SIGKILL');
  }

  async stopCodeServer(server: CodeServer): Promise<void> {
    await server.stop(
      path.join(outDir, `code-server-${server.opts.label}.log`),
      path.join(outDir, `vscode-logs-${server.opts.label}`),
    );
  }

  async launchBrowser(): Promise<Browser> {
    const b = await launchBrowser(this.marker);
    this.browsers.push(b);
    return b;
  }

  /** A temp path removed by close(). */
  track(p: string): string {
    this.tempPaths.push(p);
    return p;
  }

  /**
   * Closes browsers, stops servers, removes temp folders; then lists the processes still carrying the
   * marker or living in a code-server session. Returns their descriptions (empty: clean), after
   * killing them so that a failed run does not leave load on the machine.
   */
  async close(): Promise<string[]> {
    for (const b of this.browsers.splice(0)) await b.close();
    for (const s of this.servers.splice(0)) await this.stopCodeServer(s);
    for (const p of this.tempPaths.splice(0)) fs.rmSync(p, { recursive: true, force: true, maxRetries: 3 });
    const entry = this.marker.join('=');
    const left = () => startedBy(this.sessions, entry);
    // Give processes killed a moment ago the time to be reaped before calling them leftovers.
    await waitFor(() => left().length === 0, 3_000, 'started processes to exit').catch(() => {});
    const leftovers = left();
    for (const p of leftovers) killPid(p.pid, 'SIGKILL');
    return leftovers.map((p) => `pid ${p.pid} (pgid ${p.pgid}, sid ${p.sid}): ${p.cmdline.slice(0, 160)}`);
  }
}
