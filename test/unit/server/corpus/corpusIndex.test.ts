import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { CorpusStats } from '../../../../protocol/corpus';
import { CorpusIndex, globMatcher } from '../../../../server/corpus/corpusIndex';
import { readTextStats } from '../../../../server/corpus/readText';
import { CorpusWatcher } from '../../../../server/corpus/watcher';

void describe('globMatcher', () => {
  const m = globMatcher(['**/*.txt', '**/*.md'], ['drafts/**']);
  const table: Array<[string, boolean]> = [
    ['a.txt', true],
    ['sub/b.md', true],
    ['c.js', false],
    ['drafts/x.txt', false],
    ['node_modules/p/readme.md', false],
    ['.git/x.txt', false],
    ['.mlm/runs/r/x.txt', false],
  ];
  for (const [p, want] of table) void test(p, () => assert.equal(m(p), want));
});

void describe('CorpusIndex + CorpusWatcher on a real folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-corpus-'));
  const write = (rel: string, data: string | Buffer): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  };
  write('a.txt', 'hello world\r\n');
  write('sub/b.md', '\uFEFF# title\n');
  write('bin.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
  write('bad.txt', Buffer.from([0x66, 0xff, 0xfe, 0x20, 0x41]));
  write('code.js', 'not indexed');
  write('node_modules/pkg/readme.md', 'ignored');
  write('.mlm/runs/x/notes.txt', 'ignored');
  fs.symlinkSync('..', path.join(root, 'sub', 'loop'));
  fs.symlinkSync(path.join(root, 'a.txt'), path.join(root, 'link.txt'));

  const waiters: Array<() => void> = [];
  const index = new CorpusIndex(
    root,
    { include: ['**/*.txt', '**/*.md'], exclude: [], maxFileBytes: 1024 },
    readTextStats,
    { changed: () => waiters.splice(0).forEach((w) => w()), progress: () => undefined },
  );
  const watcher = new CorpusWatcher(index, { rescanMs: 60_000, stabilityMs: 50, log: () => undefined });
  void after(() => watcher.close().then(() => fs.rmSync(root, { recursive: true, force: true })));

  /** Resolves once stats satisfy pred (checked after every index change). */
  const until = async (pred: (s: CorpusStats) => boolean): Promise<CorpusStats> => {
    for (;;) {
      const s = index.stats();
      if (!s.indexing && pred(s)) return s;
      await new Promise<void>((r) => waiters.push(r));
    }
  };

  void test('reliability: 17 corpus garbage — initial scan: text counted, garbage skipped with reasons, ignored folders and links not followed', async () => {
    watcher.start();
    const s = await until(() => true);
    assert.equal(s.files, 2, JSON.stringify(s));
    assert.equal(s.chars, 'hello world\n'.length + '# title\n'.length, 'BOM stripped, CRLF normalised');
    assert.equal(s.skipped.binary, 1);
    assert.equal(s.skipped['invalid-utf8'], 1);
    assert.ok(
      !index.filesFor(['**/*.txt'], []).some((f) => f.includes('node_modules') || f.includes('.mlm')),
    );
  });

  void test('add, change and unlink update the index incrementally', async () => {
    const v0 = index.stats().version;
    write('new.txt', 'one two three\n');
    let s = await until((x) => x.files === 3);
    assert.ok(s.version > v0);
    write('a.txt', 'hello\n');
    s = await until((x) => x.chars === 'hello\n'.length + '# title\n'.length + 'one two three\n'.length);
    fs.unlinkSync(path.join(root, 'new.txt'));
    s = await until((x) => x.files === 2);
    assert.ok(index.filesFor(['**/*.txt', '**/*.md'], []).every((f) => !f.endsWith('new.txt')));
  });

  void test("filesFor applies a run config's globs to the known files", () => {
    const rel = index.filesFor(['**/*.md'], []).map((f) => path.relative(root, f));
    assert.deepEqual(rel, [path.join('sub', 'b.md')]);
  });
});

void describe('reliability: 21 watch limits — rescan fallback (when the watch limit is hit)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-rescan-'));
  fs.writeFileSync(path.join(root, 'a.txt'), 'one\n');
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'b.md'), 'two\n');
  fs.symlinkSync('..', path.join(root, 'sub', 'loop'));
  const index = new CorpusIndex(
    root,
    { include: ['**/*.txt', '**/*.md'], exclude: [], maxFileBytes: 1024 },
    readTextStats,
    {
      changed: () => undefined,
      progress: () => undefined,
    },
  );
  const watcher = new CorpusWatcher(index, { rescanMs: 60_000, stabilityMs: 0, log: () => undefined });
  after(() => watcher.close().then(() => fs.rmSync(root, { recursive: true, force: true })));

  void test('reliability: 19 symlink loop — a rescan finds files once (no symlink loop), and the next one reconciles additions and deletions', async () => {
    await watcher.rescan();
    await index.idle();
    assert.equal(index.stats().files, 2);
    fs.writeFileSync(path.join(root, 'c.txt'), 'three\n');
    fs.unlinkSync(path.join(root, 'a.txt'));
    await watcher.rescan();
    await index.idle();
    const rel = index.filesFor(['**/*'], []).map((f) => path.relative(root, f));
    assert.deepEqual(rel, ['c.txt', path.join('sub', 'b.md')]);
    assert.equal(index.stats().chars, 'three\n'.length + 'two\n'.length);
  });
});
