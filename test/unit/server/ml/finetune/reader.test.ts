/** Labelled-data readers: CSV records (RFC 4180), and every format read into examples. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseDelimited } from '../../../../../server/ml/finetune/delimited';
import { readLabelledData } from '../../../../../server/ml/finetune/reader';
import type { TextExample, TokenExample } from '../../../../../server/ml/finetune/types';
import { read, write } from './readerHelpers';

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
