/** The socket backend's door: where its token comes from, and which first message it admits. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { admit, socketToken, TOKEN_ENV } from '../../../../server/rpc/tokenGate';

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
