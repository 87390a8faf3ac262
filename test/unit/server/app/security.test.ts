/**
 * The socket backend's defences in the server state: request paths confined to the served roots (symbolic links
 * followed), and one writer per run folder (live holders refused with their pid, dead ones taken over). The token
 * gate is tested in test/unit/server/rpc/tokenGate.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../../../protocol/errors';
import { PathPolicy } from '../../../../server/app/pathPolicy';
import { lockRunDir, RUN_LOCK_FILE } from '../../../../server/app/runLock';

void describe('PathPolicy', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-paths-'));
  const ws = path.join(base, 'ws');
  const extra = path.join(base, 'models');
  const outside = path.join(base, 'outside');
  for (const d of [ws, extra, outside]) fs.mkdirSync(d);
  fs.symlinkSync(outside, path.join(ws, 'link'));
  fs.symlinkSync(path.join(ws, 'runs'), path.join(outside, 'back')); // outside → inside: allowed
  fs.symlinkSync(path.join(outside, 'nowhere'), path.join(ws, 'dangling')); // a dangling link out: refused
  void after(() => fs.rmSync(base, { recursive: true, force: true }));
  const policy = new PathPolicy([ws, extra]);

  const table: Array<[string, boolean]> = [
    ['.', true],
    ['corpus/a.txt', true],
    ['.mlm/runs/r1/checkpoints/step-5', true],
    [path.join(extra, 'bert'), true],
    [extra, true],
    ['../outside', false],
    ['..', false],
    ['/etc/passwd', false],
    [`${ws}-other`, false],
    ['link', false],
    ['link/new-dir/file', false],
    ['a/../../outside', false],
    ['dangling', false],
    ['dangling/sub', false],
    [path.join(outside, 'back'), true],
  ];
  for (const [p, ok] of table) {
    void test(`${p} ${ok ? 'is allowed' : 'is refused'}`, () => {
      if (ok) assert.equal(policy.resolve(p, ws, 'x'), path.resolve(ws, p));
      else {
        assert.throws(
          () => policy.resolve(p, ws, 'model.init'),
          (e: { code: number; message: string }) =>
            e.code === MlmErrorCodes.PathNotAllowed &&
            e.message.includes('model.init') &&
            e.message.includes('--root'),
        );
      }
    });
  }
  void test('no roots: nothing is confined', () => {
    assert.equal(new PathPolicy([]).resolve('/etc/passwd', ws, 'x'), '/etc/passwd');
  });
});

void describe('run folder lock', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-lock-'));
  let n = 0;
  const runDir = (): string => {
    const d = path.join(base, `run${++n}`);
    fs.mkdirSync(d);
    return d;
  };
  const writeLock = (dir: string, rec: object | string): void =>
    fs.writeFileSync(path.join(dir, RUN_LOCK_FILE), typeof rec === 'string' ? rec : JSON.stringify(rec));
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(String(r.stdout));
  };
  const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  void after(() => {
    live.kill();
    fs.rmSync(base, { recursive: true, force: true });
  });
  const since = new Date(0).toISOString();

  void test('a free folder is locked, and released', () => {
    const d = runDir();
    const lock = lockRunDir(d);
    const rec = JSON.parse(fs.readFileSync(path.join(d, RUN_LOCK_FILE), 'utf8')) as { pid: number };
    assert.equal(rec.pid, process.pid);
    lock.release();
    lock.release();
    assert.equal(fs.existsSync(path.join(d, RUN_LOCK_FILE)), false);
    assert.deepEqual(fs.readdirSync(d), [], 'no temp files left');
  });

  const refused: Array<[string, () => object, RegExp]> = [
    [
      'a live process of this host',
      () => ({ pid: live.pid, host: os.hostname(), since, nonce: 'x' }),
      new RegExp(`being written by process ${live.pid} \\(since`),
    ],
    [
      'a process on another host (cannot be checked)',
      () => ({ pid: 1234, host: 'other-host', since, nonce: 'x' }),
      /process 1234 on other-host.*if that process is gone, delete .*\.lock/,
    ],
  ];
  for (const [name, rec, re] of refused) {
    void test(`a lock held by ${name} is refused, naming the holder`, () => {
      const d = runDir();
      const r = rec() as { pid: number };
      writeLock(d, r);
      assert.throws(
        () => lockRunDir(d),
        (e: { code: number; message: string; data: { pid: number } }) =>
          e.code === MlmErrorCodes.RunLocked && re.test(e.message) && e.data.pid === r.pid,
      );
      assert.equal(JSON.parse(fs.readFileSync(path.join(d, RUN_LOCK_FILE), 'utf8')).pid, r.pid, 'kept');
    });
  }

  void test('a second lock by the same process is refused (this process)', () => {
    const d = runDir();
    const lock = lockRunDir(d);
    assert.throws(() => lockRunDir(d), /being written by this process/);
    lock.release();
    lockRunDir(d).release();
  });

  const takenOver: Array<[string, () => object | string]> = [
    ['a dead process', () => ({ pid: deadPid(), host: os.hostname(), since, nonce: 'x' })],
    ['an unreadable lock', () => '{"pid":'],
  ];
  for (const [name, rec] of takenOver) {
    void test(`a lock left by ${name} is taken over`, () => {
      const d = runDir();
      writeLock(d, rec());
      const lock = lockRunDir(d);
      assert.equal(JSON.parse(fs.readFileSync(path.join(d, RUN_LOCK_FILE), 'utf8')).pid, process.pid);
      lock.release();
      assert.deepEqual(fs.readdirSync(d), []);
    });
  }

  void test('release leaves a lock that another holder wrote since', () => {
    const d = runDir();
    const lock = lockRunDir(d);
    writeLock(d, { pid: live.pid, host: os.hostname(), since, nonce: 'other' });
    lock.release();
    assert.equal(JSON.parse(fs.readFileSync(path.join(d, RUN_LOCK_FILE), 'utf8')).nonce, 'other');
  });
});
