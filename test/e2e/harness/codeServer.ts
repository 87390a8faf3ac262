// Starts code-server in its own session (setsid) on 127.0.0.1 with a temp config, user data, extensions
// folder and a copy of the fixture workspace; stops it by killing the whole process group and removes
// every temp folder. One instance per start; see docs/e2e.md for the flags.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fixtureWorkspace } from './paths';
import { isAlive, killGroup, readProc, waitFor } from './processes';
import type { Log } from './log';

export interface CodeServerOptions {
  /** code-server's out/node/entry.js (run with this Node). */
  entry: string;
  vsix: string;
  /** false: start without --disable-workspace-trust, so the folder opens in restricted mode. */
  trust: boolean;
  /** Marker `NAME=value` set on code-server and so inherited by every process it starts. */
  marker: [string, string];
  /** More environment for code-server (and through it the extension host), e.g. a results-file path. */
  env?: Record<string, string>;
  log: Log;
  /** Prefix of the temp folder, e.g. "main" or "restricted". */
  label: string;
}

const userSettings = {
  'workbench.startupEditor': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.startupPrompt': 'never',
  'window.restoreWindows': 'none',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class CodeServer {
  readonly runDir: string;
  readonly workspace: string;
  readonly userData: string;
  readonly extensionsDir: string;
  private child?: ChildProcess;
  port = 0;

  constructor(readonly opts: CodeServerOptions) {
    this.runDir = fs.mkdtempSync(path.join(os.tmpdir(), `mlm-e2e-${opts.label}-`));
    this.workspace = path.join(this.runDir, 'workspace');
    this.userData = path.join(this.runDir, 'user-data');
    this.extensionsDir = path.join(this.runDir, 'extensions');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The workbench URL for a folder (default: this instance's workspace copy). */
  folderUrl(folder = this.workspace, extraQuery = ''): string {
    return `${this.url}/?folder=${encodeURIComponent(folder)}${extraQuery}`;
  }

  private baseArgs(): string[] {
    return [
      this.opts.entry,
      '--config',
      path.join(this.runDir, 'config.yaml'),
      '--user-data-dir',
      this.userData,
      '--extensions-dir',
      this.extensionsDir,
    ];
  }

  private env(): NodeJS.ProcessEnv {
    const [k, v] = this.opts.marker;
    return { ...process.env, ...this.opts.env, [k]: v };
  }

  /** Prepares the folders, installs the .vsix and starts code-server; resolves once /healthz answers. */
  async start(): Promise<void> {
    const { log } = this.opts;
    if (!fs.existsSync(fixtureWorkspace))
      throw new Error(`fixture workspace ${fixtureWorkspace} is missing; create it (see docs/e2e.md)`);
    fs.cpSync(fixtureWorkspace, this.workspace, { recursive: true });
    fs.mkdirSync(path.join(this.userData, 'User'), { recursive: true });
    fs.mkdirSync(this.extensionsDir, { recursive: true });
    fs.writeFileSync(
      path.join(this.userData, 'User', 'settings.json'),
      JSON.stringify(userSettings, null, 2),
    );
    this.port = await freePort();
    fs.writeFileSync(
      path.join(this.runDir, 'config.yaml'),
      `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`,
    );

    const install = spawnSync(
      process.execPath,
      [...this.baseArgs(), '--install-extension', this.opts.vsix, '--force'],
      { encoding: 'utf8', env: this.env(), timeout: 60_000 },
    );
    log.raw(`${install.stdout ?? ''}${install.stderr ?? ''}`);
    if (install.status !== 0)
      throw new Error(
        `code-server --install-extension ${this.opts.vsix} failed (exit ${install.status}): ${install.stderr}`,
      );

    const args = [
      ...this.baseArgs(),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(this.opts.trust ? ['--disable-workspace-trust'] : []),
    ];
    log.line(`starting code-server (${this.opts.label}) on port ${this.port}: ${args.join(' ')}`);
    const out = fs.openSync(path.join(this.runDir, 'code-server.log'), 'a');
    // detached: the child calls setsid(), so it leads its own session and process group.
    this.child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: this.env(),
      cwd: this.runDir,
    });
    fs.closeSync(out);
    const child = this.child;
    let exited: string | undefined;
    child.once('exit', (code, sig) => (exited = `code-server exited (code ${code}, signal ${sig})`));
    await waitFor(
      async () => {
        if (exited) throw new Error(`${exited} before answering; see ${this.logFile()}`);
        try {
          const r = await fetch(`${this.url}/healthz`);
          return r.ok;
        } catch {
          return false;
        }
      },
      30_000,
      `code-server /healthz on port ${this.port}`,
      150,
    );
  }

  logFile(): string {
    return path.join(this.runDir, 'code-server.log');
  }

  /**
   * Kills the process group (TERM, then KILL after 5 s), keeps the code-server log in `keepLogAs`
   * and removes the temp folders. Safe to call twice and after a failed start.
   */
  async stop(keepLogAs?: string, keepLogsDir?: string): Promise<void> {
    const pid = this.child?.pid;
    if (pid !== undefined) {
      const groupAlive = () => isAlive(pid) || hasGroupMembers(pid);
      killGroup(pid, 'SIGTERM');
      try {
        await waitFor(() => !groupAlive(), 5_000, `code-server group ${pid} to exit`);
      } catch {
        this.opts.log.line(`code-server group ${pid} still alive after SIGTERM; sending SIGKILL`);
        killGroup(pid, 'SIGKILL');
        await waitFor(() => !groupAlive(), 5_000, `code-server group ${pid} to die`).catch(() => {});
      }
      this.child = undefined;
    }
    if (keepLogAs && fs.existsSync(this.logFile())) {
      fs.mkdirSync(path.dirname(keepLogAs), { recursive: true });
      fs.copyFileSync(this.logFile(), keepLogAs);
    }
    // VS Code's own logs, among them the extension's output channel ("MLM Studio.log") and the
    // extension hosts' logs: what a person reads when a scenario failed.
    const logs = path.join(this.userData, 'logs');
    if (keepLogsDir && fs.existsSync(logs)) fs.cpSync(logs, keepLogsDir, { recursive: true });
    fs.rmSync(this.runDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function hasGroupMembers(pgid: number): boolean {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p && p.pgid === pgid) return true;
  }
  return false;
}
