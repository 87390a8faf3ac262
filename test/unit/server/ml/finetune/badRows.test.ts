/** Every bad-row case of the readers, with its file:line and the reason; files with no usable row. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FinetuneDataError, type ReadOptions } from '../../../../../server/ml/finetune/reader';
import { read } from './readerHelpers';

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
