/** A tiny workspace with a run config, `mlm launch` into a folder outside it, and train.py / torchrun runs. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isMetricRecord, type MetricRecord } from '../../../../../protocol/shared/metrics';
import { runCli } from '../../../runCli';
import { syntheticWorkspace, tinyConfig } from '../train/trainFixtures';

/** trainFixtures' tiny BERT (1 layer, hidden 32) with dropout 0, one step at a time: evaluated and logged every step. */
export function tinyRunConfig(patch: { training?: object; data?: object; checkpoint?: object } = {}): object {
  return tinyConfig({
    model: { dropout: 0 },
    data: patch.data ?? {},
    training: { maxSteps: 3, warmupSteps: 0, evalEvery: 1, dataParallel: 1, ...patch.training },
    checkpoint: patch.checkpoint ?? {},
  });
}

export interface LaunchFixture {
  /** The corpus folder (the workspace the CLI runs in). */
  ws: string;
  configFile: string;
  /** A temporary folder outside the workspace for bundles and imported runs. */
  scratch: string;
}

export function launchFixture(config: object, docs = 6, lines = 60): LaunchFixture {
  const ws = syntheticWorkspace(docs, lines);
  const configFile = path.join(ws, 'tiny.mlm.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  return { ws, configFile, scratch: fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-launch-')) };
}

export function removeFixture(f: LaunchFixture | undefined): void {
  if (!f) return;
  fs.rmSync(f.ws, { recursive: true, force: true });
  fs.rmSync(f.scratch, { recursive: true, force: true });
}

/** `mlm <args>` in the workspace; throws with its output when it fails. */
export async function mlm(f: LaunchFixture, args: string[]): Promise<string> {
  const r = await runCli(args, { cwd: f.ws, timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`mlm ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a command to its end; throws with its output when it fails. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      timeout: opts.timeoutMs ?? 300_000,
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(text);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${text}`));
    });
  });
}

/** The metric rows of a metrics.jsonl, each checked against the shared row type. */
export function readRows(file: string): MetricRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const row: unknown = JSON.parse(l);
      if (!isMetricRecord(row)) throw new Error(`${file}: not a metric row: ${l}`);
      return row;
    });
}

/** The single run folder under <ws>/.mlm/runs. */
export function onlyRun(ws: string): string {
  const root = path.join(ws, '.mlm', 'runs');
  const runs = fs.readdirSync(root);
  if (runs.length !== 1) throw new Error(`expected one run in ${root}, found ${runs.join(', ')}`);
  return path.join(root, runs[0]);
}

/** A TCP port free right now on the loopback (for torchrun's rendezvous). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
