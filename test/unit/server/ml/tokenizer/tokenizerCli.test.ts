/** `mlm tokenizer train|encode|report` as a user runs them: a real process (runCli). */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTokenizer } from '../../../../../server/ml/tokenizer';
import { runCli } from '../../../runCli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlm-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `mlm …` in the temp folder, with stdin. */
const mlm = (args: string[], input = '') => runCli(args, { cwd: tmp, input, timeoutMs: 60_000 });

function corpus(name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(tmp, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const TEXT =
  'The quick brown fox jumps over the lazy dog.\nA quick brown dog jumps over the lazy fox!\n'.repeat(20);

void describe('mlm tokenizer', () => {
  void test('train writes tokenizer.json and vocab.txt and prints the corpus report; encode and report use them', async () => {
    const dir = corpus('good', {
      'a.txt': TEXT,
      'sub/b.md': '# Foxes\n\nQuick foxes, lazy dogs.\n',
      'bin.txt': Buffer.from([1, 0, 2]),
    });
    const out = path.join(tmp, 'tok');
    const t = await mlm(['tokenizer', 'train', '--corpus', dir, '--vocab-size', '80', '--out', out]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /corpus: 2 files read, 1\.8 kB, 1,793 characters, 43 lines/);
    assert.match(t.stdout, /binary \(NUL bytes\): 1/);
    assert.match(t.stdout, /tokenizer: 80 pieces, uncased/);
    assert.match(t.stderr, /training tokenizer done/);
    assert.ok(fs.existsSync(path.join(out, 'tokenizer.json')) && fs.existsSync(path.join(out, 'vocab.txt')));

    const tok = await loadTokenizer(out);
    const lines = ['the quick fox', 'Lazy dogs!', ''];
    const json = await mlm(['tokenizer', 'encode', '--tokenizer', out, '--json'], `${lines.join('\n')}\n`);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      lines.map((l) => tok.encodeIds(l)),
    );
    const plain = await mlm(['tokenizer', 'encode', '--tokenizer', out, '--no-special'], 'the quick fox\r\n');
    assert.equal(plain.stdout, `${tok.encodeIds('the quick fox', false).join(' ')}\n`);

    const rep = await mlm(['tokenizer', 'report', '--tokenizer', out, '--corpus', dir]);
    assert.equal(rep.code, 0, rep.stderr);
    assert.match(rep.stdout, /kept whole: \d+\.\d %\nmean pieces per word: \d\.\d{3}/);
  });

  void test('--cased keeps case', async () => {
    const dir = corpus('cased', { 'a.txt': TEXT });
    const out = path.join(tmp, 'tok-cased');
    const t = await mlm([
      'tokenizer',
      'train',
      '--corpus',
      `${dir}/*.txt`,
      '--vocab-size',
      '70',
      '--cased',
      '--out',
      out,
    ]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /70 pieces, cased/);
    assert.ok(fs.readFileSync(path.join(out, 'vocab.txt'), 'utf8').split('\n').includes('T'));
  });

  const empty = () => corpus('empty', { 'data.json': '{}', 'blank.txt': '' });
  const errors: Array<{ name: string; args: () => string[]; code: number; message: RegExp; input?: string }> =
    [
      {
        name: 'no corpus',
        args: () => ['tokenizer', 'train', '--out', 'x'],
        code: 2,
        message: /no corpus given: pass --corpus/,
      },
      {
        name: 'corpus path missing',
        args: () => ['tokenizer', 'train', '--corpus', 'nowhere', '--out', path.join(tmp, 'o1')],
        code: 1,
        message: /cannot read the corpus: corpus path nowhere does not exist/,
      },
      {
        name: 'empty corpus',
        args: () => ['tokenizer', 'train', '--corpus', empty(), '--out', path.join(tmp, 'o2')],
        code: 1,
        message: /empty corpus: the 1 file\(s\) read under .* hold no text/,
      },
      {
        name: 'no matching files',
        args: () => [
          'tokenizer',
          'train',
          '--corpus',
          corpus('json-only', { 'a.json': '{}' }),
          '--out',
          path.join(tmp, 'o3'),
        ],
        code: 1,
        message: /empty corpus: no readable \.txt\/\.md file under/,
      },
      {
        name: 'unwritable output',
        args: () => {
          fs.writeFileSync(path.join(tmp, 'afile'), '');
          return [
            'tokenizer',
            'train',
            '--corpus',
            corpus('ok', { 'a.txt': TEXT }),
            '--out',
            path.join(tmp, 'afile', 'out'),
          ];
        },
        code: 1,
        message: /cannot write the output directory .*afile\/out: .*ENOTDIR/,
      },
      {
        name: 'bad vocab size',
        args: () => ['tokenizer', 'train', '--corpus', 'x', '--vocab-size', 'ten', '--out', 'o'],
        code: 2,
        message: /--vocab-size must be an integer >= 6, got "ten"/,
      },
      {
        name: 'bad vocab file',
        args: () => ['tokenizer', 'encode', '--tokenizer', corpus('badvocab', { 'vocab.txt': 'a\nb\n' })],
        code: 1,
        message:
          /bad tokenizer: .*vocab\.txt lacks the special tokens \[PAD\] \[UNK\] \[CLS\] \[SEP\] \[MASK\]/,
      },
      {
        name: 'missing --tokenizer',
        args: () => ['tokenizer', 'encode'],
        code: 2,
        message: /missing --tokenizer/,
      },
      {
        name: 'unknown option',
        args: () => ['tokenizer', 'report', '--bogus'],
        code: 2,
        message: /Unknown option '--bogus'/,
      },
    ];
  for (const e of errors) {
    void test(`error: ${e.name}`, async () => {
      const r = await mlm(e.args(), e.input);
      assert.equal(r.code, e.code, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, e.message);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, 'no stack trace');
    });
  }

  void test('help lists the tokenizer commands', async () => {
    const r = await mlm(['--help']);
    assert.match(r.stdout, /tokenizer train\s+train a WordPiece tokenizer/);
    assert.match((await mlm(['help', 'tokenizer', 'encode'])).stdout, /usage: mlm tokenizer encode/);
  });
});
