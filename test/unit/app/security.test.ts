/**
 * The socket backend's defences, piece by piece: the token gate's admission rule, request paths confined to the
 * served roots (symbolic links followed), and one writer per run folder (live holders refused with their pid, dead
 * ones taken over).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../../protocol/errors';
import { PathPolicy } from '../../../server/app/pathPolicy';
import { lockRunDir, RUN_LOCK_FILE } from '../../../server/app/runLock';
import { admit, socketToken, TOKEN_ENV } from '../../../server/rpc/tokenGate';

const TOKEN = 'a-token-of-some-length-0123456789';
const init = (initializationOptions: unknown): Parameters<typeof admit>[0] =>
  ({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { initializationOptions } }) as Parameters<
    typeof admit
  >[0];

void describe('token gate: admit()', () => {
  const table: Array<[string, Parameters<typeof admit>[0], RegExp | undefined]> = [
    ['the right token', init({ token: TOKEN }), undefined],
    ['a wrong token', init({ token: `${TOKEN}x` }), /wrong token/],
    ['no token', init({}), /carries no token/],
    ['no initializationOptions', init(undefined), /carries no token/],
    ['an empty token', init({ token: '' }), /carries no token/],
    ['a number', init({ token: 42 }), /carries no token/],
    [
      'another request first',
      { jsonrpc: '2.0', id: 1, method: 'mlm/train', params: {} } as Parameters<typeof admit>[0],
      /first message must be initialize.*got mlm\/train/,
    ],
    [
      'a response first',
      { jsonrpc: '2.0', id: 1, result: null } as Parameters<typeof admit>[0],
      /got a response/,
    ],
  ];
  for (const [name, m, want] of table) {
    void test(name, () => {
      const why = admit(m, TOKEN);
      if (want) assert.match(why ?? '', want);
      else assert.equal(why, undefined);
    });
  }
  void test('the token is removed from the params the server sees', () => {
    const m = init({ token: TOKEN, settings: { a: 1 } });
    assert.equal(admit(m, TOKEN), undefined);
    assert.deepEqual((m as unknown as { params: unknown }).params, {
      initializationOptions: { settings: { a: 1 } },
    });
  });
});

void describe('socketToken: --token-file, $MLM_SERVE_TOKEN, else generated', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-token-'));
  const file = (name: string, text: string): string => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const saved = process.env[TOKEN_ENV];
  void after(() => {
    if (saved === undefined) delete process.env[TOKEN_ENV];
    else process.env[TOKEN_ENV] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const table: Array<
    [string, string | undefined, string | undefined, { token?: string; source?: string } | RegExp]
  > = [
    [
      'a token file (trimmed)',
      file('ok', `${TOKEN}\n`),
      'ignored-env-token-123456',
      { token: TOKEN, source: 'file' },
    ],
    ['a short token file', file('short', 'abc\n'), undefined, /too short \(3 characters\): use at least 16/],
    [
      'a missing token file',
      path.join(dir, 'missing'),
      undefined,
      /cannot read the token file .*ENOENT.*openssl rand/,
    ],
    ['the environment', undefined, TOKEN, { token: TOKEN, source: 'env' }],
    ['a short environment value', undefined, 'short', /MLM_SERVE_TOKEN is too short/],
    ['nothing: a generated token', undefined, undefined, { source: 'generated' }],
  ];
  for (const [name, tokenFile, env, want] of table) {
    void test(name, () => {
      if (env === undefined) delete process.env[TOKEN_ENV];
      else process.env[TOKEN_ENV] = env;
      if (want instanceof RegExp) return assert.throws(() => socketToken(tokenFile), want);
      const got = socketToken(tokenFile);
      assert.equal(got.source, want.source);
      if (want.token) assert.equal(got.token, want.token);
      else assert.match(got.token, /^[A-Za-z0-9_-]{43}$/);
    });
  }
  void test('two generated tokens differ', () => {
    delete process.env[TOKEN_ENV];
    assert.notEqual(socketToken(undefined).token, socketToken(undefined).token);
  });
});

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
