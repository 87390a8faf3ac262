/** mlm/exportRun (MLM: Export to Hugging Face…) over the real pipe: a run imported into the workspace's runs folder. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MlmErrorCodes } from '../../protocol/errors';
import type { ExportRunRequest } from '../../protocol/export';
import { importTinyBert, startBackend, stopServer, type Spawned } from './harness';

void describe('mlm/exportRun over JSON-RPC', { timeout: 60_000 }, () => {
  let s: Spawned;
  let ws: string;
  const runId = 'imported-tiny';
  const exportRun = (p: Partial<ExportRunRequest.Params>): Promise<ExportRunRequest.Result> =>
    s.conn.sendRequest<ExportRunRequest.Result>('mlm/exportRun', p);
  const refused = async (p: unknown, re: RegExp): Promise<void> => {
    await assert.rejects(s.conn.sendRequest('mlm/exportRun', p), (e: { code: number; message: string }) => {
      assert.equal(e.code, MlmErrorCodes.InvalidParams);
      assert.match(e.message, re);
      return true;
    });
  };

  void before(async () => {
    ({ s, ws } = await startBackend({
      spawn: { env: { MLM_BACKEND: 'wasm' } },
      prepare: (dir) => importTinyBert(path.join(dir, '.mlm', 'runs', runId)),
    }));
  });
  void after(async () => {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
  });

  void test('writes a Hugging Face folder relative to the workspace', async () => {
    const r = await exportRun({ runId, out: 'exports/tiny' });
    assert.equal(r.outDir, path.join(ws, 'exports', 'tiny'));
    assert.equal(r.loadWith, 'BertForMaskedLM');
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) {
      assert.ok(r.files.includes(f), r.files.join(', '));
      assert.ok(fs.existsSync(path.join(r.outDir, f)));
    }
  });

  void test('a non-empty folder needs force; unknown runs and bad params are refused', async () => {
    await refused({ runId, out: 'exports/tiny' }, /is not empty/);
    assert.ok((await exportRun({ runId, out: 'exports/tiny', force: true })).files.length > 0);
    await refused({ runId: 'nope', out: 'x' }, /no run nope/);
    await refused({ runId, out: '' }, /out must be the folder/);
  });
});
