/** Run Doctor: runs `mlm doctor` (dist/cli.js) with the backend's runtime and shows its report. */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chooseBackendRuntime, processRuntimeProbe } from '../client/runtime';
import { readClientSettings } from '../config';
import type { Ctx } from '../context';

const TIMEOUT_MS = 60_000;

export async function runDoctor(ctx: Ctx): Promise<string> {
  // The runtime the backend runs with (client/runtime.ts), so the report describes what training gets.
  const runtime =
    chooseBackendRuntime(readClientSettings().settings.runtime, processRuntimeProbe()).runtime ??
    process.execPath;
  const cli = path.join(ctx.extension.extensionPath, 'dist', 'cli.js');
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MLM: running doctor…', cancellable: true },
    (_p, token) => runCli(runtime, [cli, 'doctor'], token),
  );
  ctx.log.info(`doctor (exit ${report.code}):\n${report.output}`);
  const header = `# MLM Studio doctor\n\nRuntime: ${runtime}\nExit code: ${report.code}\n\n`;
  const doc = await vscode.workspace.openTextDocument({
    language: 'markdown',
    content: `${header}\`\`\`\n${report.output}\n\`\`\`\n`,
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  return report.output;
}

function runCli(
  runtime: string,
  args: string[],
  token: vscode.CancellationToken,
): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtime, args, {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    token.onCancellationRequested(() => child.kill('SIGKILL'));
    child.on('error', (err) =>
      reject(new Error(`Could not run ${runtime} (${err.message}). Check the mlm.server.runtime setting.`)),
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? 'unknown', output: output.trimEnd() });
    });
  });
}
