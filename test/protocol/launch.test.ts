/**
 * mlm/importLaunch over the real pipe: a bundle written by `mlm launch` (the built CLI) and run by its train.py (4
 * steps, one process) is imported as a run → mlm/runs lists it with its checkpoints, mlm/runMetrics pages its
 * rows, mlm/loadCheckpoint + mlm/fillMask answer from its weights; and the refusals (bad run id, a bundle that has
 * not run, a run id taken). Skipped with the reason where no Python has torch.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { MlmErrorCodes } from '../../protocol/errors';
import { FillMaskRequest, LoadCheckpointRequest } from '../../protocol/inference';
import { ImportLaunchRequest } from '../../protocol/launch';
import { RunMetricsRequest, RunsRequest } from '../../protocol/training';
import { findTorchPython } from '../unit/server/ml/hf/hfHelpers';
import {
  ensureBuilt,
  initialize,
  ROOT,
  spawnServer,
  stopServer,
  tempWorkspace,
  TINY_RUN,
  type Spawned,
} from './harness';

const torch = findTorchPython();
const CLI = path.join(ROOT, 'dist/cli.js');

/** Runs a command to its end; throws with its output when it fails. */
function runOrThrow(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

const rejectsWith = async (p: Promise<unknown>, code: number, message: RegExp) => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ResponseError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
};

void describe('mlm/importLaunch', { skip: torch.python ? false : torch.reason, timeout: 300_000 }, () => {
  let s: Spawned;
  let ws: string;
  let scratch: string;
  let bundle: string;
  let unrun: string;

  void before(() => {
    ensureBuilt();
    ws = tempWorkspace();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-launch-protocol-'));
    const config = path.join(scratch, 'tiny.mlm.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ ...TINY_RUN, training: { ...TINY_RUN.training, maxSteps: 4, evalEvery: 2 } }),
    );
    bundle = path.join(ws, 'bundles', 'tiny');
    unrun = path.join(ws, 'bundles', 'unrun');
    runOrThrow(
      process.execPath,
      [CLI, 'launch', '--engine', 'torchrun', '--run', config, '--out', bundle],
      ws,
    );
    fs.cpSync(bundle, unrun, { recursive: true });
    runOrThrow(torch.python!, ['train.py'], bundle);
    s = spawnServer({ env: { MLM_GPU_POLL_MS: '60000', MLM_CORPUS_STABILITY_MS: '20' } });
    return initialize(s, ws);
  });
  void after(async () => {
    if (s) await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  void test('imports the bundle as a run: listed, its metrics paged, its weights answer fill-mask', async () => {
    const r = await s.conn.sendRequest(ImportLaunchRequest.type, {
      bundle: 'bundles/tiny',
      runId: 'cluster',
    });
    assert.equal(r.runDir, path.join(ws, '.mlm', 'runs', 'cluster'));
    assert.deepEqual([r.steps, r.processes, r.device], [4, 1, 'cpu']);
    assert.deepEqual(r.checkpoints, [2, 4]);

    const { runs } = await s.conn.sendRequest(RunsRequest.type, {});
    const listed = runs.find((x) => x.runId === 'cluster');
    assert.ok(listed, `mlm/runs lists the import: ${runs.map((x) => x.runId).join(', ')}`);
    assert.deepEqual(listed.checkpoints, [2, 4]);
    assert.equal(listed.status, 'completed');

    const page = await s.conn.sendRequest(RunMetricsRequest.type, { runId: 'cluster' });
    assert.deepEqual(
      page.records.filter((m) => m.split === 'eval').map((m) => m.step),
      [2, 4],
    );
    assert.equal(page.records.filter((m) => m.split === 'train').length, 4);

    const loaded = await s.conn.sendRequest(LoadCheckpointRequest.type, { path: r.runDir });
    assert.equal(loaded.runId, 'cluster');
    const filled = await s.conn.sendRequest(FillMaskRequest.type, {
      text: 'the [MASK] sat on the mat .',
      topK: 3,
    });
    assert.equal(filled.masks[0].predictions.length, 3);
  });

  const REFUSED = [
    {
      name: 'a run id that is not a folder name',
      params: { bundle: 'bundles/tiny', runId: '../x' },
      error: /runId must be a folder name/,
    },
    {
      name: 'a bundle that has not run',
      params: { bundle: 'bundles/unrun', runId: 'unrun' },
      error: /has no complete checkpoint .*run the bundle first/,
    },
    {
      name: 'a run id already taken',
      params: { bundle: 'bundles/tiny', runId: 'cluster' },
      error: /already exists and is not empty/,
    },
    {
      name: 'a folder that is not a bundle',
      params: { bundle: '.', runId: 'x' },
      error: /not a launch bundle/,
    },
  ];
  for (const c of REFUSED) {
    void test(`refuses ${c.name}, naming what to do`, async () => {
      await rejectsWith(
        s.conn.sendRequest(ImportLaunchRequest.type, c.params),
        MlmErrorCodes.InvalidParams,
        c.error,
      );
    });
  }
});
