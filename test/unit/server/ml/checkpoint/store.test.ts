import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  emptyCheckpointState,
  listCheckpoints,
  listRuns,
  newestUsableCheckpoint,
  readBest,
  readState,
  readWeights,
  rotateCheckpoints,
  saveCheckpoint,
  writeBest,
  writeRunStatus,
} from '../../../../../server/ml/checkpoint';
import type { NamedTensor } from '../../../../../server/ml/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-ckpt-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const newRun = () => {
  const dir = path.join(tmp, `run-${n++}`);
  fs.mkdirSync(dir);
  return dir;
};
const weights = (v: number) =>
  new Map<string, NamedTensor>([
    ['bert.embeddings.word_embeddings.weight', { shape: [2, 2], data: new Float32Array([v, v, v, v]) }],
  ]);
const save = (runDir: string, step: number, v = step) =>
  saveCheckpoint(runDir, {
    state: { ...emptyCheckpointState(), step },
    weights: weights(v),
    optimizer: new Map(),
  });

void describe('checkpoints', () => {
  void test('save → list → read round trip; the marker is written last', () => {
    const run = newRun();
    const c = save(run, 5, 1.5);
    assert.deepEqual(fs.readdirSync(c.dir).sort(), [
      'COMPLETE',
      'model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    assert.deepEqual(listCheckpoints(run), [{ step: 5, dir: c.dir }]);
    assert.equal(readState(c.dir).step, 5);
    assert.deepEqual([...readWeights(c.dir).values()][0].data, new Float32Array([1.5, 1.5, 1.5, 1.5]));
  });

  void test('partial checkpoints (temp dirs, no marker, corrupt state) are ignored, and cleaned by a writer', () => {
    const run = newRun();
    save(run, 10);
    const ck = path.join(run, 'checkpoints');
    fs.mkdirSync(path.join(ck, '.tmp-step-30-123-456'));
    fs.writeFileSync(path.join(ck, '.tmp-step-30-123-456', 'model.safetensors'), 'half');
    fs.mkdirSync(path.join(ck, 'step-20')); // renamed but killed before the marker
    fs.writeFileSync(path.join(ck, 'step-20', 'state.json'), '{"step": 20');
    const bad = save(run, 15);
    fs.writeFileSync(path.join(bad.dir, 'state.json'), '{ torn'); // marker present but state unreadable
    assert.deepEqual(
      listCheckpoints(run).map((c) => c.step),
      [10, 15],
    );
    assert.equal(newestUsableCheckpoint(run)!.step, 10, 'skips the unreadable one, never throws');
    assert.ok(fs.existsSync(path.join(ck, 'step-20')), 'readers do not delete');
    listCheckpoints(run, { clean: true });
    assert.deepEqual(fs.readdirSync(ck).sort(), ['step-10', 'step-15']);
  });

  void test('reliability: 11 rotation — keepLast 3 of 10 saves remain, plus the best and the one resumed from', () => {
    const run = newRun();
    for (let s = 1; s <= 10; s++) {
      save(run, s * 10);
      if (s === 2) writeBest(run, 20, 1.0);
      rotateCheckpoints(run, { keepLast: 3, keepBest: true, protect: [40] });
    }
    assert.deepEqual(
      listCheckpoints(run).map((c) => c.step),
      [20, 40, 80, 90, 100],
    );
    assert.equal(readBest(run)!.step, 20);
    rotateCheckpoints(run, { keepLast: 3, keepBest: false });
    assert.deepEqual(
      listCheckpoints(run).map((c) => c.step),
      [80, 90, 100],
    );
    assert.equal(readBest(run), undefined, 'a best whose folder is gone is not reported');
  });

  void test('SIGKILL during saves: the newest complete checkpoint survives and loads; leftovers are cleaned', async () => {
    const run = newRun();
    save(run, 0);
    // A child process saves 1 MB checkpoints in a loop until killed.
    const script = `
      const { saveCheckpoint, rotateCheckpoints } = require(${JSON.stringify(path.resolve('server/ml/checkpoint/store.ts'))});
      const { emptyCheckpointState } = require(${JSON.stringify(path.resolve('server/ml/checkpoint/state.ts'))});
      const data = new Float32Array(262144).fill(1);
      for (let step = 1; ; step++) {
        saveCheckpoint(${JSON.stringify(run)}, { state: { ...emptyCheckpointState(), step }, weights: new Map([['w', { shape: [262144], data }]]), optimizer: new Map() });
        rotateCheckpoints(${JSON.stringify(run)}, { keepLast: 2, keepBest: false });
        process.stdout.write(step + '\\n');
      }`;
    for (const killAfter of [2, 7]) {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // Kill after a number of saves (no sleeps); the kill lands somewhere inside the next save or rotation.
      await new Promise<void>((resolve) => {
        let seen = 0;
        child.stdout.on('data', (d: Buffer) => {
          seen += d.toString().split('\n').filter(Boolean).length;
          if (seen >= killAfter) resolve();
        });
      });
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const newest = newestUsableCheckpoint(run);
      assert.ok(newest, 'a complete checkpoint exists');
      assert.equal([...readWeights(newest.dir).values()][0].data.length, 262144);
      listCheckpoints(run, { clean: true });
      for (const e of fs.readdirSync(path.join(run, 'checkpoints'))) {
        assert.ok(!e.startsWith('.tmp-'), `temp dir ${e} cleaned`);
        assert.ok(fs.existsSync(path.join(run, 'checkpoints', e, 'COMPLETE')), `${e} complete`);
      }
    }
  });

  void test('listRuns summarises run folders and marks dead writers as interrupted', () => {
    const root = fs.mkdtempSync(path.join(tmp, 'runs-'));
    const a = path.join(root, '20260101-000000-tiny');
    fs.mkdirSync(a);
    fs.writeFileSync(
      path.join(a, 'config.json'),
      JSON.stringify({ model: { arch: 'bert', preset: 'tiny' } }),
    );
    writeRunStatus(a, {
      id: 'x',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '',
      status: 'running',
      pid: 2 ** 22 + 7,
      steps: 12,
      epochs: 1,
    });
    save(a, 12);
    fs.mkdirSync(path.join(root, 'not-a-run'));
    const runs = listRuns(root);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'interrupted');
    assert.deepEqual(runs[0].checkpoints, [12]);
    assert.equal(runs[0].preset, 'tiny');
    assert.deepEqual(listRuns(path.join(root, 'missing')), []);
  });
});
