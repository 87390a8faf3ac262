import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { Message } from 'vscode-languageserver';
import { FramedMessageReader } from '../../../../server/rpc/framedReader';

const frame = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const ok = (id: number): string => frame(JSON.stringify({ jsonrpc: '2.0', id, method: 'm' }));

/** Feeds the input in chunks of `chunk` bytes; returns the ids of the messages read and the error count. */
function read(input: string, chunk: number, maxBytes = 1000): { ids: number[]; errors: string[] } {
  const stream = new PassThrough();
  const reader = new FramedMessageReader(stream, maxBytes);
  const ids: number[] = [];
  const errors: string[] = [];
  reader.onError((e) => errors.push(e.message));
  reader.listen((m: Message) => ids.push((m as unknown as { id: number }).id));
  const bytes = Buffer.from(input);
  for (let i = 0; i < bytes.length; i += chunk) stream.write(bytes.subarray(i, i + chunk));
  return { ids, errors };
}

void describe('FramedMessageReader', () => {
  const cases: Array<{ name: string; input: string; ids: number[]; errors: RegExp[] }> = [
    { name: 'plain messages', input: ok(1) + ok(2), ids: [1, 2], errors: [] },
    {
      name: 'header without Content-Length, then resync',
      input: 'Content-Type: application/json\r\n\r\n{"jsonrpc":"2.0"}' + ok(3),
      ids: [3],
      errors: [/without a valid Content-Length/],
    },
    { name: 'invalid JSON body', input: frame('{"jsonrpc": ') + ok(4), ids: [4], errors: [/not valid JSON/] },
    {
      name: 'JSON that is not JSON-RPC',
      input: frame('[1,2]') + ok(5),
      ids: [5],
      errors: [/not a JSON-RPC 2\.0 message/],
    },
    {
      name: 'oversized body skipped without buffering',
      input: frame(JSON.stringify({ jsonrpc: '2.0', id: 9, p: 'x'.repeat(5000) })) + ok(6),
      ids: [6],
      errors: [/larger than the 1000-byte limit/],
    },
    {
      name: 'garbage without any header',
      input: 'x'.repeat(9000) + ok(7),
      ids: [7],
      errors: [/longer than 8 KB|not a JSON-RPC header/],
    },
  ];
  for (const c of cases) {
    for (const chunk of [1, 7, 64, 1 << 20]) {
      void test(`${c.name} (chunks of ${chunk})`, () => {
        const r = read(c.input, chunk);
        assert.deepEqual(r.ids, c.ids);
        assert.equal(r.errors.length, c.errors.length, r.errors.join('; '));
        c.errors.forEach((re, i) => assert.match(r.errors[i], re));
      });
    }
  }
});
