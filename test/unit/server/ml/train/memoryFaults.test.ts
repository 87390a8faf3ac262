/**
 * reliability: a WebAssembly abort or an allocation failure anywhere in training (the leader, a data-parallel
 * replica; one replica and several; the threaded module whose locks made the CLI hang) ends `mlm train` with
 * a message naming the cause and a clean exit. Faults are injected through the wasm heap guard
 * (server/ml/backend/wasmHeap.ts: MLM_WASM_FAULT, MLM_WASM_HEAP_LIMIT and their MLM_REPLICA_ forms).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../../runCli';
import { syntheticWorkspace, tinyConfig } from './trainFixtures';

let ws: string;
before(() => {
  ws = syntheticWorkspace(3, 60);
});
after(() => fs.rmSync(ws, { recursive: true, force: true }));

/** Not a timing check: a child still running after this long has hung (the bug this file guards against). */
const HANG_MS = 90_000;

async function mlmTrain(
  env: Record<string, string>,
  config: object,
): Promise<{ code: number | null; out: string }> {
  const file = path.join(
    ws,
    `fault-${Object.values(env)
      .join('-')
      .replace(/[^\w-]/g, '')}.mlm.json`,
  );
  fs.writeFileSync(file, JSON.stringify(config));
  const r = await runCli(['train', '--config', file, '--corpus', ws, '--out', path.join(ws, 'runs')], {
    env,
    timeoutMs: HANG_MS,
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** The tiny run config of the training tests, training long enough for a fault to strike. */
const tiny = (training: object, extra: object = {}) =>
  tinyConfig({ training: { maxSteps: 200, evalEvery: 1000, logEvery: 10, ...training }, ...extra });

void describe('reliability: wasm abort and out of memory end the run cleanly', () => {
  const cases: Array<{ name: string; env: Record<string, string>; config: object; expect: RegExp }> = [
    {
      name: 'the leader aborts, one replica, threaded wasm (the hang of issue 19)',
      env: { MLM_WASM_FAULT: 'abort@1500' },
      config: tiny({ dataParallel: 1 }, { threads: 2 }),
      expect: /WebAssembly backend aborted \("Aborted\(\)"\) and the run ended/,
    },
    {
      name: 'a replica aborts, two replicas',
      env: { MLM_REPLICA_WASM_FAULT: 'abort@300' },
      config: tiny({ dataParallel: 2 }, { threads: 1 }),
      expect: /replica 1: Aborted\(\)/,
    },
    {
      name: 'a replica aborts, three replicas',
      env: { MLM_REPLICA_WASM_FAULT: 'abort@300' },
      config: tiny({ dataParallel: 3, batchSize: 9 }, { threads: 1 }),
      expect: /replica \d: Aborted\(\)/,
    },
    {
      name: 'a replica runs out of memory even at one row per pass',
      env: { MLM_REPLICA_WASM_HEAP_LIMIT: `${192 * 2 ** 20 + 100 * 1024}` },
      config: tiny({ dataParallel: 2 }, { threads: 1 }),
      expect: /out of memory even at 1 row per pass \(replica 1: out of memory on the WebAssembly heap/,
    },
    {
      name: 'a config that cannot fit is refused before the first step, with the numbers',
      env: { MLM_WASM_HEAP_LIMIT: '200MiB' },
      config: tiny({ dataParallel: 1 }, { threads: 1 }),
      expect:
        /does not fit in memory even at 1 row per pass: it needs \d+ MiB on the leader .* Lower data\.seqLen/,
    },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const r = await mlmTrain(c.env, c.config);
      assert.notEqual(r.code, null, `mlm train hung (killed after ${HANG_MS / 1000}s):\n${r.out}`);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, c.expect);
      assert.match(r.out, /Training failed:/);
    });
  }
});
