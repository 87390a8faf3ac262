/**
 * The corpus reader on each kind of bad input: every bad file ends in a skip with the right reason, never a crash;
 * good files are decoded (BOMs, UTF-16, CRLF) and counted.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CorpusReader,
  formatCorpusReport,
  readFileAsText,
  type SkipReason,
} from '../../../../../server/ml/corpus';

const REPO = path.resolve(__dirname, '../../../../..');
const tmpRoots: string[] = [];
function tempDir(files: Record<string, string | Buffer> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-corpus-'));
  tmpRoots.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

async function readAll(reader: CorpusReader) {
  const docs = [];
  for await (const d of reader.documents()) docs.push(d);
  return docs;
}

const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]);

void describe('decoding one file', () => {
  const cases: Array<{ name: string; bytes: Buffer; text?: string; skip?: SkipReason }> = [
    { name: 'plain UTF-8', bytes: Buffer.from('héllo wörld\n'), text: 'héllo wörld\n' },
    { name: 'UTF-8 BOM stripped', bytes: Buffer.from('\ufeffbom text'), text: 'bom text' },
    { name: 'CRLF → LF', bytes: Buffer.from('a\r\nb\r\n'), text: 'a\nb\n' },
    { name: 'lone CR kept', bytes: Buffer.from('a\rb'), text: 'a\rb' },
    { name: 'UTF-16LE with BOM', bytes: utf16le('中文 ünï\r\n😀'), text: '中文 ünï\n😀' },
    { name: 'UTF-16BE with BOM', bytes: utf16be('Grüße 😀'), text: 'Grüße 😀' },
    { name: 'empty file', bytes: Buffer.alloc(0), text: '' },
    {
      name: 'NUL byte → binary',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
      skip: 'binary',
    },
    { name: 'invalid UTF-8', bytes: Buffer.from([0x61, 0x62, 0xc3, 0x28, 0x63]), skip: 'invalid-utf8' },
    { name: 'truncated UTF-8 sequence', bytes: Buffer.from([0x61, 0xe4, 0xb8]), skip: 'invalid-utf8' },
    { name: 'UTF-16 with an odd byte count', bytes: Buffer.from([0xff, 0xfe, 0x61]), skip: 'invalid-utf8' },
    {
      name: 'UTF-16 unpaired surrogate',
      bytes: Buffer.from([0xff, 0xfe, 0x3d, 0xd8, 0x61, 0x00]),
      skip: 'invalid-utf8',
    },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const dir = tempDir({ 'f.txt': c.bytes });
      const r = await readFileAsText(path.join(dir, 'f.txt'));
      if (c.skip) assert.equal('skip' in r && r.skip, c.skip, JSON.stringify(r));
      else assert.deepEqual(r, { text: c.text, bytes: c.bytes.length });
    });
  }

  void test('over the size cap → too-large', async () => {
    const dir = tempDir({ 'big.txt': 'x'.repeat(2000) });
    const r = await readFileAsText(path.join(dir, 'big.txt'), 1000);
    assert.deepEqual(r, { skip: 'too-large', detail: '2000 bytes, cap 1000' });
  });

  void test('a directory, a FIFO, a missing file', async () => {
    const dir = tempDir({ 'sub/x.txt': 'x' });
    assert.deepEqual(await readFileAsText(path.join(dir, 'sub')), {
      skip: 'unreadable',
      detail: 'is a directory',
    });
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'pipe.txt')]).status, 0);
    assert.deepEqual(await readFileAsText(path.join(dir, 'pipe.txt')), {
      skip: 'unreadable',
      detail: 'not a regular file',
    });
    assert.equal(((await readFileAsText(path.join(dir, 'gone.txt'))) as { skip: string }).skip, 'vanished');
  });

  void test('permission denied → unreadable (as an unprivileged user: root reads any file)', async (t) => {
    const dir = tempDir({ 'secret.txt': 'no' });
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'secret.txt'), 0o000);
    // The reader, bundled into the world-readable temp dir, runs in a child process under uid/gid 65534 when we
    // are root (the repository itself may sit in a folder that user cannot enter).
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(
      entry,
      `import { readFileAsText } from ${JSON.stringify(path.join(REPO, 'server/ml/corpus'))};\n` +
        `readFileAsText(${JSON.stringify(path.join(dir, 'secret.txt'))}).then((r) => process.stdout.write(JSON.stringify(r)));\n`,
    );
    const bundle = path.join(dir, 'read.cjs');
    await esbuild.build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'error',
    });
    fs.chmodSync(bundle, 0o644);
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(process.execPath, [bundle], {
      encoding: 'utf8',
      cwd: dir,
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    if (r.error || (r.status !== 0 && /EACCES|Cannot find module/.test(r.stderr))) {
      t.skip(`cannot start node as uid 65534 here (${r.error?.message ?? r.stderr.split('\n')[0]})`);
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { skip: 'unreadable', detail: 'permission denied' });
  });
});

void describe('walking a corpus', () => {
  void test('reliability: 17 corpus garbage — selects *.txt and *.md, skips .git, node_modules and .mlm, and reports every bad file', async () => {
    const dir = tempDir({
      'a.txt': 'alpha beta\r\ngamma\r\n',
      'b.md': '# Title\n\nText',
      'c.json': '{"not": "selected"}',
      'sub/d.txt': '\ufeffwith bom',
      'sub/e.txt': utf16le('utf sixteen'),
      'empty.txt': '',
      'image.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      'huge.txt': 'y'.repeat(5000),
      '.git/HEAD.txt': 'ref',
      'node_modules/pkg/readme.md': 'dep',
      '.mlm/runs/x.txt': 'run',
    });
    fs.symlinkSync('..', path.join(dir, 'sub', 'loop'));
    fs.symlinkSync('self.txt', path.join(dir, 'self.txt'));
    fs.symlinkSync('a.txt', path.join(dir, 'alias.txt'));
    const reader = new CorpusReader({ roots: [dir], maxFileBytes: 1000 });
    const docs = await readAll(reader);
    assert.deepEqual(
      docs.map((d) => [path.relative(dir, d.path), d.text]),
      [
        ['a.txt', 'alpha beta\ngamma\n'],
        ['b.md', '# Title\n\nText'],
        ['empty.txt', ''],
        ['sub/d.txt', 'with bom'],
        ['sub/e.txt', 'utf sixteen'],
      ],
    );
    const r = reader.report;
    assert.equal(r.filesRead, 5);
    const counts = Object.fromEntries(Object.entries(r.skipped).map(([k, v]) => [k, v.count]));
    assert.deepEqual(counts, {
      binary: 1,
      'too-large': 1,
      'invalid-utf8': 1,
      unreadable: 0,
      'symlink-loop': 2,
      vanished: 0,
    });
    assert.deepEqual(r.skipped['symlink-loop'].examples.map((e) => path.relative(dir, e.path)).sort(), [
      'self.txt',
      'sub/loop',
    ]);
    assert.equal(r.characters, 'alpha beta\ngamma\n'.length + '# Title\n\nText'.length + 8 + 11);
    assert.equal(r.lines, 2 + 3 + 1 + 1);
    const text = formatCorpusReport(r);
    assert.match(text, /corpus: 5 files read/);
    assert.match(text, /binary \(NUL bytes\): 1\n\s+.*image\.txt — NUL byte at offset 4/);
  });

  void test('document ids are the relative path plus a content hash, stable across reads', async () => {
    const dir = tempDir({ 'x/one.txt': 'same', 'two.txt': 'same' });
    const ids = async () => (await readAll(new CorpusReader({ roots: [dir] }))).map((d) => d.id);
    const first = await ids();
    assert.deepEqual(first, await ids());
    assert.match(first[0], /^two\.txt#[0-9a-f]{16}$/);
    assert.equal(first[0].split('#')[1], first[1].split('#')[1]);
    fs.writeFileSync(path.join(dir, 'two.txt'), 'changed');
    assert.notEqual((await ids())[0], first[0]);
  });

  void test('reliability: 20 races — a file deleted between listing and reading is skipped as vanished', async () => {
    const dir = tempDir({ 'a.txt': 'first', 'b.txt': 'second', 'c.txt': 'third' });
    const reader2 = new CorpusReader({ roots: [dir] });
    const docs: string[] = [];
    for await (const d of reader2.documents()) {
      docs.push(d.text);
      if (docs.length === 1) fs.rmSync(path.join(dir, 'b.txt'));
    }
    // The walker had listed the directory before b.txt was removed, so it meets the file gone.
    assert.deepEqual(docs, ['first', 'third']);
    assert.equal(reader2.report.skipped.vanished.count, 1);
    assert.equal(path.basename(reader2.report.skipped.vanished.examples[0].path), 'b.txt');
  });

  void test('globs, explicit files, include/exclude, and each real file once across roots', async () => {
    const dir = tempDir({ 'docs/a.md': 'A', 'docs/b.txt': 'B', 'src/c.ts': 'C', 'notes/d.txt': 'D' });
    fs.symlinkSync(path.join(dir, 'docs'), path.join(dir, 'notes', 'docs-link'));
    const names = async (opts: ConstructorParameters<typeof CorpusReader>[0]) =>
      (await readAll(new CorpusReader(opts))).map((d) => path.relative(dir, d.path)).sort();
    assert.deepEqual(await names({ roots: ['docs/*.md'], cwd: dir }), ['docs/a.md']);
    assert.deepEqual(await names({ roots: ['src/c.ts'], cwd: dir }), ['src/c.ts']);
    assert.deepEqual(await names({ roots: [dir], include: ['**/*.ts'] }), ['src/c.ts']);
    assert.deepEqual(await names({ roots: [dir], exclude: ['docs/**', 'notes'] }), []);
    assert.deepEqual(await names({ roots: [dir, path.join(dir, 'docs')] }), [
      'docs/a.md',
      'docs/b.txt',
      'notes/d.txt',
    ]);
  });

  void test('a missing root is an error that names it', async () => {
    await assert.rejects(
      readAll(new CorpusReader({ roots: ['/nonexistent/corpus'] })),
      /corpus path \/nonexistent\/corpus does not exist/,
    );
  });
});
