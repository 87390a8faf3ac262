/** The one run-config file loader of the backend (mlm/train configPath) and the CLI (--config, --resume). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MlmError, MlmErrorCodes, type InvalidRunConfigData } from '../../../../protocol/errors';
import { loadRunConfigFile, resolveRunConfig } from '../../../../server/app/runConfigFile';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-runconfig-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

/** An InvalidRunConfig MlmError whose message and data.errors both match `re`. */
const invalid =
  (re: RegExp) =>
  (e: unknown): boolean =>
    e instanceof MlmError &&
    e.code === MlmErrorCodes.InvalidRunConfig &&
    re.test(e.message) &&
    (e.data as InvalidRunConfigData).errors.some((x) => re.test(x));

void describe('loadRunConfigFile', () => {
  void test('a JSON file is returned as parsed, not yet validated (the CLI merges flags over it)', () => {
    const p = file('ok.mlm.json', '{ "training": { "lr": -1 } }');
    assert.deepEqual(loadRunConfigFile(p), { training: { lr: -1 } });
  });
  void test('comments and trailing commas are allowed (the run-config form keeps them)', () => {
    const p = file('c.mlm.json', '// mine\n{\n  /* lr */ "training": { "lr": 0.001, },\n}\n');
    assert.deepEqual(loadRunConfigFile(p), { training: { lr: 0.001 } });
  });
  const bad: Array<[string, () => string, RegExp]> = [
    ['a missing file', () => path.join(dir, 'nope.mlm.json'), /cannot read .*nope\.mlm\.json: ENOENT/],
    ['a folder', () => dir, /cannot read .*: EISDIR/],
    [
      'text that is not JSON',
      () => file('bad.mlm.json', '{ "training": '),
      /bad\.mlm\.json is not valid JSON/,
    ],
  ];
  for (const [name, make, re] of bad) {
    void test(`${name} → InvalidRunConfig naming the file and the cause`, () => {
      assert.throws(() => loadRunConfigFile(make()), invalid(re));
    });
  }
});

void describe('resolveRunConfig', () => {
  void test('fills every default', () => {
    const c = resolveRunConfig({ training: { maxSteps: 10 } }, 'test');
    assert.equal(c.training.maxSteps, 10);
    assert.equal(c.model.arch, 'bert');
  });
  void test('lists every error, with where the config came from', () => {
    const err = (() => {
      try {
        resolveRunConfig({ training: { lr: -1 }, data: { seqLen: 4 } }, 'x.mlm.json + flags');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(invalid(/training\.lr must be > 0, got -1/)(err));
    assert.ok(invalid(/data\.seqLen must be >= 8, got 4/)(err));
    assert.match((err as Error).message, /^the run config \(x\.mlm\.json \+ flags\) is invalid: /);
  });
});
