/** Shared bits of the hf tests: the fixture's place, a temp folder, small comparisons. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FIXTURE_DIR = path.join(ROOT, 'test', 'fixtures', 'hf-tiny-bert');
export const PY_DIR = path.join(ROOT, 'test', 'fixtures', 'hf');

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlm-hf-${label}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Copies the fixture folder (or some of its files) into a new temp folder. */
export function copyFixture(label: string, files?: string[]): { dir: string; cleanup: () => void } {
  const t = tempDir(label);
  for (const f of files ?? fs.readdirSync(FIXTURE_DIR)) {
    fs.copyFileSync(path.join(FIXTURE_DIR, f), path.join(t.dir, f));
  }
  return t;
}
