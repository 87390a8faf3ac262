/** The remote connection's pure parts: reconnect delays, the token's storage key, a refused token. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, isUnauthorized, tokenKey } from '../../../../extension/client/remote';
import { MlmErrorCodes } from '../../../../protocol/errors';

void describe('remote backend connection', () => {
  void test('reconnect delays: 1 s doubling to 30 s, from 1 s again after a reset', () => {
    const b = new Backoff();
    assert.deepEqual(
      Array.from({ length: 8 }, () => b.next()),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000],
    );
    b.reset();
    assert.equal(b.next(), 1000);
  });
  void test('one token per address (IPv6 in brackets)', () => {
    assert.equal(tokenKey({ host: 'gpu-box', port: 7000 }), 'mlm.server.token/gpu-box:7000');
    assert.equal(tokenKey({ host: '::1', port: 7000 }), 'mlm.server.token/[::1]:7000');
  });
  const table: Array<[string, unknown, boolean]> = [
    ['the Unauthorized answer', { code: MlmErrorCodes.Unauthorized, message: 'wrong token' }, true],
    ['another error', { code: MlmErrorCodes.InvalidParams }, false],
    ['a connection error', new Error('ECONNREFUSED'), false],
    ['nothing', undefined, false],
  ];
  for (const [name, err, want] of table) {
    void test(`isUnauthorized: ${name}`, () => assert.equal(isUnauthorized(err), want));
  }
});
