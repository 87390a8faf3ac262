/**
 * Labelled-data readers: every format, every bad-row case (with its file:line), the label set's order and the
 * stratified split.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDelimited } from '../../../server/ml/finetune/delimited';
import { checkLabels, labelSet, stratifiedSplit } from '../../../server/ml/finetune/labels';
import { FinetuneDataError, readLabelledData, type ReadOptions } from '../../../server/ml/finetune/reader';
import type { TextExample, TokenExample } from '../../../server/ml/finetune/types';

const roots: string[] = [];
function write(files: Record<string, string | Buffer>): string {
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

async function read(name: string, content: string | Buffer, opts: Partial<ReadOptions> = {}) {
  const dir = write({ [name]: content });
  const r = await readLabelledData(path.join(dir, name), { task: 'classification', ...opts });
  const rel = (w: string) => path.relative(dir, w);
  return {
    examples: r.examples.map((e) => ({ ...e, where: rel(e.where) })),
    bad: r.bad.map((b) => ({ ...b, where: rel(b.where) })),
    format: r.format,
  };
}

void describe('CSV records (RFC 4180)', () => {
  const cases: Array<{
    name: string;
    text: string;
    want: Array<{ line: number; fields: string[]; error?: boolean }>;
  }> = [
    {
      name: 'plain',
      text: 'a,b\n1,2\n',
      want: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['1', '2'] },
      ],
    },
    {
      name: 'CRLF and no final newline',
      text: 'a,b\r\n1,2',
      want: [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['1', '2'] },
      ],
    },
    {
      name: 'quoted delimiter and doubled quote',
      text: '"x, ""y""",z\n',
      want: [{ line: 1, fields: ['x, "y"', 'z'] }],
    },
    {
      name: 'newline inside quotes',
      text: '"one\ntwo",3\nnext,4\n',
      want: [
        { line: 1, fields: ['one\ntwo', '3'] },
        { line: 3, fields: ['next', '4'] },
      ],
    },
    {
      name: 'quote inside an unquoted field is literal',
      text: 'he said "hi",5\n',
      want: [{ line: 1, fields: ['he said "hi"', '5'] }],
    },
    {
      name: 'empty fields and a trailing delimiter',
      text: ',x,\n',
      want: [{ line: 1, fields: ['', 'x', ''] }],
    },
    {
      name: 'blank lines skipped',
      text: 'a\n\n\nb\n',
      want: [
        { line: 1, fields: ['a'] },
        { line: 4, fields: ['b'] },
      ],
    },
    {
      name: 'text after a closing quote',
      text: '"ab"c,1\nok,2\n',
      want: [
        { line: 1, fields: ['ab'], error: true },
        { line: 2, fields: ['ok', '2'] },
      ],
    },
    {
      name: 'quote never closed',
      text: 'ok,1\n"open,2\nmore\n',
      want: [
        { line: 1, fields: ['ok', '1'] },
        { line: 2, fields: ['open,2\nmore\n'], error: true },
      ],
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const got = parseDelimited(c.text, ',').map((r) => ({
        line: r.line,
        fields: r.fields,
        ...(r.error ? { error: true } : {}),
      }));
      assert.deepEqual(got, c.want);
    });
  }
  void test('TSV splits on tabs only', () => {
    assert.deepEqual(parseDelimited('a, b\tc\n', '\t')[0].fields, ['a, b', 'c']);
  });
});

void describe('reading each format', () => {
  void test('CSV with text, text_pair and label; numbers stay strings', async () => {
    const r = await read('d.csv', 'label,text,text_pair\npos,"Great, really",\n1,plain,second\n');
    assert.equal(r.format, 'csv');
    assert.deepEqual(r.examples, [
      { where: 'd.csv:2', text: 'Great, really', labels: ['pos'] },
      { where: 'd.csv:3', text: 'plain', textPair: 'second', labels: ['1'] },
    ]);
    assert.deepEqual(r.bad, []);
  });
  void test('TSV with other column names', async () => {
    const r = await read('d.tsv', 'sentence\tsentiment\nfine "quoted"\tneg\n', {
      textColumn: 'sentence',
      labelColumn: 'sentiment',
    });
    assert.deepEqual(r.examples, [{ where: 'd.tsv:2', text: 'fine "quoted"', labels: ['neg'] }]);
  });
  void test('JSONL: label as number, labels list for multilabel, values for regression', async () => {
    const c = await read('d.jsonl', '{"text":"a","label":3}\n\n{"text":"b","label":"x"}\n');
    assert.deepEqual(
      c.examples.map((e) => (e as TextExample).labels),
      [['3'], ['x']],
    );
    const m = await read('d.jsonl', '{"text":"a","labels":["x","y","x"]}\n{"text":"b","labels":[]}\n', {
      task: 'multilabel',
    });
    assert.deepEqual(
      m.examples.map((e) => (e as TextExample).labels),
      [['x', 'y'], []],
    );
    const g = await read('d.jsonl', '{"text":"a","label":0.5}\n{"text":"b","label":[1,"2"]}\n', {
      task: 'regression',
    });
    assert.deepEqual(
      g.examples.map((e) => (e as TextExample).values),
      [[0.5], [1, 2]],
    );
  });
  void test('CSV multilabel cells: separator or JSON array', async () => {
    const r = await read('d.csv', 'text,labels\nx,"a, b"\ny,"[""c""]"\nz,\n', { task: 'multilabel' });
    assert.deepEqual(
      r.examples.map((e) => (e as TextExample).labels),
      [['a', 'b'], ['c'], []],
    );
  });
  void test('folder DIR/<label>/*.txt', async () => {
    const dir = write({
      'pos/1.txt': 'good\n',
      'neg/a.txt': 'bad',
      'neg/b.txt': '  ',
      'neg/notes.md': 'ignored',
    });
    const r = await readLabelledData(dir, { task: 'classification' });
    assert.equal(r.format, 'folder');
    assert.deepEqual(
      r.examples.map((e) => [(e as TextExample).labels[0], (e as TextExample).text]),
      [
        ['neg', 'bad'],
        ['pos', 'good'],
      ],
    );
    assert.deepEqual(
      r.bad.map((b) => [path.relative(dir, b.where), b.reason]),
      [['neg/b.txt', 'empty text']],
    );
  });
  void test('CoNLL: word<TAB>tag, space columns, -DOCSTART-, sentences by blank lines', async () => {
    const r = await read(
      'd.conll',
      '-DOCSTART- -X- O O\n\nEU\tB-ORG\nrejects\tO\n\nPeter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n',
      { task: 'token' },
    );
    assert.deepEqual(r.examples as TokenExample[], [
      { where: 'd.conll:3', words: ['EU', 'rejects'], tags: ['B-ORG', 'O'] },
      { where: 'd.conll:6', words: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'] },
    ]);
  });
  void test('JSONL token classification: tokens and tags', async () => {
    const r = await read('d.jsonl', '{"tokens":["a","b"],"tags":["B-X","O"]}\n{"tokens":["a"],"tags":[]}\n', {
      task: 'token',
    });
    assert.equal(r.examples.length, 1);
    assert.deepEqual(r.bad, [{ where: 'd.jsonl:2', reason: '1 tokens but 0 tags' }]);
  });
});

void describe('bad rows are skipped with file:line and the reason', () => {
  const invalid = Buffer.concat([
    Buffer.from('text,label\nok,a\nbad '),
    Buffer.from([0xc3, 0x28]),
    Buffer.from(',b\nfine,c\n'),
  ]);
  const cases: Array<{
    name: string;
    file: string;
    content: string | Buffer;
    opts?: Partial<ReadOptions>;
    bad: Array<[string, RegExp]>;
    kept: number;
  }> = [
    {
      name: 'missing column',
      file: 'd.csv',
      content: 'text,label\nonly text\nok,a\n',
      bad: [['d.csv:2', /missing column "label"/]],
      kept: 1,
    },
    {
      name: 'too many fields',
      file: 'd.csv',
      content: 'text,label\na,b,c\nok,a\n',
      bad: [['d.csv:2', /3 fields but the header has 2/]],
      kept: 1,
    },
    {
      name: 'empty text',
      file: 'd.csv',
      content: 'text,label\n  ,a\nok,a\n',
      bad: [['d.csv:2', /empty text/]],
      kept: 1,
    },
    {
      name: 'empty label',
      file: 'd.csv',
      content: 'text,label\nx,\nok,a\n',
      bad: [['d.csv:2', /empty label/]],
      kept: 1,
    },
    {
      name: 'broken quoting',
      file: 'd.csv',
      content: 'text,label\n"x"y,a\nok,a\n',
      bad: [['d.csv:2', /broken quoting: text after a closing quote/]],
      kept: 1,
    },
    {
      name: 'unclosed quote at the end',
      file: 'd.csv',
      content: 'text,label\nok,a\n"never closed,a\n',
      bad: [['d.csv:3', /never closed/]],
      kept: 1,
    },
    { name: 'invalid UTF-8', file: 'd.csv', content: invalid, bad: [['d.csv:3', /invalid UTF-8/]], kept: 2 },
    {
      name: 'JSONL not JSON',
      file: 'd.jsonl',
      content: '{"text":"x","label":"a"}\n{oops\n',
      bad: [['d.jsonl:2', /not valid JSON/]],
      kept: 1,
    },
    {
      name: 'JSONL missing field',
      file: 'd.jsonl',
      content: '{"text":"x","label":"a"}\n{"text":"y"}\n',
      bad: [['d.jsonl:2', /missing field "label"/]],
      kept: 1,
    },
    {
      name: 'JSONL list label for classification',
      file: 'd.jsonl',
      content: '{"text":"x","label":"a"}\n{"text":"y","label":["a","b"]}\n',
      bad: [['d.jsonl:2', /not one value/]],
      kept: 1,
    },
    {
      name: 'regression target not a number',
      file: 'd.csv',
      content: 'text,label\nx,1.5\ny,high\n',
      opts: { task: 'regression' },
      bad: [['d.csv:3', /not a number/]],
      kept: 1,
    },
    {
      name: 'CoNLL line without a tag',
      file: 'd.conll',
      content: 'a\tO\n\nb\nc\tO\n',
      opts: { task: 'token' },
      bad: [['d.conll:3', /line 3 is not "word<TAB>tag"/]],
      kept: 1,
    },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const r = await read(c.file, c.content, c.opts);
      assert.equal(r.examples.length, c.kept);
      assert.equal(r.bad.length, c.bad.length, JSON.stringify(r.bad));
      for (const [i, [where, re]] of c.bad.entries()) {
        assert.equal(r.bad[i].where, where);
        assert.match(r.bad[i].reason, re);
      }
    });
  }
  void test('a file with no usable rows is one clear error', async () => {
    await assert.rejects(
      read('d.csv', 'text,label\n,a\n'),
      (e: Error) =>
        e instanceof FinetuneDataError &&
        /no usable rows \(1 skipped — .*d\.csv:2: empty text\)/.test(e.message),
    );
    await assert.rejects(read('d.csv', ''), /no usable rows \(it is empty\)/);
  });
  void test('a header without the text column names the columns and the option', async () => {
    await assert.rejects(
      read('d.csv', 'body,label\nx,a\n'),
      /no column "text" \(columns: "body", "label"\); name the column with --text-column/,
    );
  });
  void test('a CSV that is really tab-separated says so', async () => {
    await assert.rejects(read('d.csv', 'text\tlabel\nx\ta\n'), /a tab-separated file\? name it \.tsv/);
  });
});

void describe('labels', () => {
  const ex = (labels: string[], i = 0): TextExample => ({ where: `f:${i}`, text: 't', labels });
  void test('stable order: numbers numerically, then strings; the same whatever the row order', () => {
    const rows = [ex(['10']), ex(['b']), ex(['2']), ex(['A']), ex(['a'])];
    assert.deepEqual(labelSet('classification', rows), ['2', '10', 'A', 'a', 'b']);
    assert.deepEqual(labelSet('classification', [...rows].reverse()), ['2', '10', 'A', 'a', 'b']);
  });
  void test('the label set covers every split; token tags put "O" first', () => {
    assert.deepEqual(labelSet('classification', [ex(['x'])], [ex(['y'])]), ['x', 'y']);
    const t: TokenExample = { where: 'f:1', words: ['a', 'b', 'c'], tags: ['B-PER', 'O', 'I-PER'] };
    assert.deepEqual(labelSet('token', [t]), ['O', 'B-PER', 'I-PER']);
  });
  void test('unknown labels in eval data become bad rows', () => {
    const { kept, bad } = checkLabels([ex(['x'], 1), ex(['z'], 2)], ['x', 'y']);
    assert.equal(kept.length, 1);
    assert.deepEqual(bad, [{ where: 'f:2', reason: 'unknown label "z" (the model knows 2: x, y)' }]);
  });
});

void describe('stratified split', () => {
  const rows: TextExample[] = [];
  for (let i = 0; i < 60; i++)
    rows.push({ where: `f:${i}`, text: `t${i}`, labels: [i < 40 ? 'a' : i < 58 ? 'b' : 'c'] });
  void test('keeps each label share, seeded, disjoint and complete', () => {
    const s = stratifiedSplit('classification', rows, 0.1, 7);
    const count = (xs: TextExample[], l: string) => xs.filter((x) => x.labels[0] === l).length;
    // 60 × 10 % = 6: a 40 → 4, b 18 → 1.8 → 1 + the largest remainder (0.8) → 2, c 2 → 0.2 → 0.
    assert.deepEqual([count(s.eval, 'a'), count(s.eval, 'b'), count(s.eval, 'c')], [4, 2, 0]);
    assert.equal(s.train.length + s.eval.length, 60);
    assert.equal(new Set([...s.train, ...s.eval]).size, 60);
    assert.deepEqual(stratifiedSplit('classification', rows, 0.1, 7), s);
    assert.notDeepEqual(stratifiedSplit('classification', rows, 0.1, 8).eval, s.eval);
  });
  void test('fraction 0 or one example: no held-out set', () => {
    assert.equal(stratifiedSplit('classification', rows, 0, 1).eval.length, 0);
    assert.equal(stratifiedSplit('classification', rows.slice(0, 1), 0.5, 1).eval.length, 0);
  });
  void test('a label with a single example stays in training', () => {
    const s = stratifiedSplit(
      'classification',
      [...rows.slice(0, 10), { where: 'f:x', text: 'x', labels: ['solo'] }],
      0.5,
      1,
    );
    assert.ok(s.train.some((e) => e.labels[0] === 'solo'));
  });
});
