/**
 * Joint multi-mask filling and targets over the real pipe, with a model imported from the tiny Hugging Face fixture:
 * mlm/fillMask's joint completions and beam, multi-piece targets, and the hover's "Best completions".
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { FillMaskRequest, ReplaceMaskArgs } from '../../protocol/inference';
import { backendWithTinyBert, stopServer, type Spawned } from './harness';

void describe('joint fill-mask over JSON-RPC', { timeout: 60_000 }, () => {
  let s: Spawned;
  let ws: string;
  const fill = (params: FillMaskRequest.Params): Promise<FillMaskRequest.Result> =>
    s.conn.sendRequest<FillMaskRequest.Result>('mlm/fillMask', params);

  void before(async () => {
    ({ s, ws } = await backendWithTinyBert({ env: { MLM_BACKEND: 'wasm' } }));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('two masks: each its own list, and whole-sentence completions ranked by PLL', async () => {
    const text = 'The [MASK] sat on the [MASK] today.';
    const r = await fill({ text, topK: 3, beam: 4 });
    assert.equal(r.masks.length, 2);
    assert.ok(r.joint && r.joint.length >= 1 && r.joint.length <= 4, JSON.stringify(r.joint));
    for (const j of r.joint) {
      assert.equal(j.tokens.length, 2);
      assert.ok(!j.sequence.includes('[MASK]'), j.sequence);
      assert.ok(Number.isFinite(j.pll) && j.pll <= 0);
      assert.ok(Math.abs(j.score - Math.exp(j.pll / 2)) < 1e-9);
    }
    const plls = r.joint.map((j) => j.pll);
    assert.deepEqual(
      plls,
      [...plls].sort((a, b) => b - a),
    );
    assert.equal((await fill({ text, beam: 0 })).joint, undefined);
    assert.equal((await fill({ text: 'The cat sat on the [MASK].' })).joint, undefined);
  });

  void test('targets: a word of several pieces is scored by its pieces', async () => {
    const r = await fill({ text: 'The cat sat on the [MASK].', targets: ['mat', 'zyxwvut'] });
    const multi = r.masks[0].predictions.find((p) => p.token === 'zyxwvut');
    assert.ok(multi?.pieces && multi.pieces.length > 1, JSON.stringify(r.masks[0].predictions));
    assert.ok(multi.score > 0 && multi.score < 1);
    assert.equal(multi.sequence, 'The cat sat on the zyxwvut.');
  });

  void test('a bad beam is refused with InvalidParams naming it', async () => {
    await assert.rejects(
      fill({ text: 'a [MASK] [MASK]', beam: 17 }),
      (e: { code: number; message: string }) => {
        assert.equal(e.code, MlmErrorCodes.InvalidParams);
        assert.match(e.message, /beam must be an integer in 0\.\.16/);
        return true;
      },
    );
  });

  void test('a hover over one of two masks shows the best joint completions with a fill-all link', async () => {
    const uri = `file://${path.join(ws, 'two.txt')}`;
    const text = 'Intro line.\n\nThe [MASK] sat on the [MASK] today.';
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'plaintext', version: 1, text },
    });
    const hover = await s.conn.sendRequest<{ contents: { value: string } }>('textDocument/hover', {
      textDocument: { uri },
      position: { line: 2, character: 25 },
    });
    const md = hover.contents.value;
    assert.match(md, /\*\*Best completions\*\* \(2 masks, filled jointly\)/);
    assert.match(md, /Mask 2 of 2 on its own/);
    const link = /\[fill all\]\(command:mlm\.replaceMask\?([^ )]+)/.exec(md);
    assert.ok(link, md);
    const [args] = JSON.parse(decodeURIComponent(link[1])) as ReplaceMaskArgs[];
    assert.equal(args.range.start.line, 2);
    assert.equal(args.also?.length, 1);
    assert.equal(args.also?.[0].range.start.line, 2);
  });
});
