import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { TEMP_PREFIX, writeFileAtomic, writeFileAtomicAsync } from '../../../../../server/ml/atomicWrite';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-atomic-'));
void after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const dir = () => {
  const d = path.join(tmp, `d-${n++}`);
  fs.mkdirSync(d);
  return d;
};

const writers = [
  {
    name: 'writeFileAtomic',
    write: async (f: string, d: string | Uint8Array) => writeFileAtomic(f, d),
  },
  { name: 'writeFileAtomicAsync', write: writeFileAtomicAsync },
];

void describe('the atomic file writer', () => {
  for (const w of writers) {
    void test(`${w.name}: creates, replaces (text and bytes) and leaves no temporary file`, async () => {
      const d = dir();
      const file = path.join(d, 'config.json');
      await w.write(file, 'first\n');
      assert.equal(fs.readFileSync(file, 'utf8'), 'first\n');
      await w.write(file, new Uint8Array([1, 2, 3]));
      assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3]);
      assert.deepEqual(fs.readdirSync(d), ['config.json']);
    });

    void test(`${w.name}: a failed rename keeps the old target and removes the temporary file`, async () => {
      const d = dir();
      const target = path.join(d, 'model.safetensors');
      fs.mkdirSync(target); // a folder in the way: the rename fails
      fs.writeFileSync(path.join(target, 'keep'), 'x');
      await assert.rejects(w.write(target, 'new'));
      assert.ok(fs.statSync(target).isDirectory());
      assert.deepEqual(
        fs.readdirSync(d).filter((e) => e.startsWith(TEMP_PREFIX)),
        [],
      );
    });

    void test(`${w.name}: a missing folder is an error naming the path`, async () => {
      const file = path.join(tmp, 'no-such-folder', 'vocab.txt');
      await assert.rejects(w.write(file, 'x'), /no-such-folder/);
    });
  }
});
