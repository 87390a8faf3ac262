/** Shared bits of the hf tests: the fixture's place, a temp folder, small comparisons. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../../../..');
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

/** A Python interpreter that can import torch ($MLM_PYTHON, /usr/bin/python3 or python3), or why there is none. */
export function findTorchPython(): { python?: string; reason: string } {
  const candidates = [process.env.MLM_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, reason: '' };
  }
  return {
    reason:
      `no Python with torch (tried ${candidates.join(', ')}): install it (apt-get install python3-torch) ` +
      'or set MLM_PYTHON to run the PyTorch reference check',
  };
}

/** Logits [positions, vocab] from test/fixtures/hf/reference.py for an HF folder. */
export function referenceLogits(
  python: string,
  hfDir: string,
  inputs: Array<{ ids: number[][]; attentionMask?: number[][]; positions: number[] }>,
): number[][][] {
  const r = spawnSync(python, [path.join(PY_DIR, 'reference.py'), hfDir], {
    input: JSON.stringify({ inputs }),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`reference.py failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { outputs: Array<{ logits: number[][] }> }).outputs.map((o) => o.logits);
}

export type RawDtype = 'F32' | 'F16' | 'BF16' | 'I64';

/** Writes a safetensors file with arbitrary dtypes (test variants of the fixture). */
export function writeRawSafetensors(
  file: string,
  tensors: Array<{ name: string; dtype: RawDtype; shape: number[]; values: ArrayLike<number> }>,
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = encode(t.dtype, t.values);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    blobs.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, ...blobs]));
}

function encode(dtype: RawDtype, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case 'F32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'I64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    case 'BF16': {
      const bits = new Uint32Array(Float32Array.from(values).buffer);
      // round to nearest even on the dropped 16 bits
      return new Uint8Array(Uint16Array.from(bits, (b) => (b + 0x7fff + ((b >> 16) & 1)) >>> 16).buffer);
    }
    case 'F16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = toHalf(values[i]);
      return new Uint8Array(out.buffer);
    }
  }
}

/** float → IEEE half (round to nearest; enough for normal-range test values). */
export function toHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | m;
}

/** The value a half stores (to compare imported F16 weights). */
export function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}
