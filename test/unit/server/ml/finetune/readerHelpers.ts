/** Shared by the reader tests: files in a temporary folder (removed after the tests) and a read with relative paths. */
import { after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLabelledData, type ReadOptions } from '../../../../../server/ml/finetune/reader';

const roots: string[] = [];
export function write(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-ft-data-'));
  roots.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
after(() => {
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

export async function read(name: string, content: string | Buffer, opts: Partial<ReadOptions> = {}) {
  const dir = write({ [name]: content });
  const r = await readLabelledData(path.join(dir, name), { task: 'classification', ...opts });
  const rel = (w: string) => path.relative(dir, w);
  return {
    examples: r.examples.map((e) => ({ ...e, where: rel(e.where) })),
    bad: r.bad.map((b) => ({ ...b, where: rel(b.where) })),
    format: r.format,
  };
}
