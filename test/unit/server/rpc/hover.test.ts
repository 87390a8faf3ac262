import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REPLACE_MASK_COMMAND, type ReplaceMaskArgs } from '../../../../protocol/inference';
import { escapeMarkdown } from '../../../../protocol/shared/markdown';
import { hoverMarkdown, jointSnippet } from '../../../../server/rpc/hoverMarkdown';
import {
  findMasks,
  gapBeforeMask,
  maskAt,
  maskContext,
  replacementFor,
} from '../../../../server/rpc/maskText';
import { substituteMasks } from '../../../../server/worker/substituteMasks';

const range = (l: number, s: number, e: number): ReplaceMaskArgs['range'] => ({
  start: { line: l, character: s },
  end: { line: l, character: e },
});

void describe('finding masks', () => {
  const text = 'The [MASK] sat on the [MASK].\nNo mask here.\n[MASK] at start';
  void test('findMasks', () => {
    assert.deepEqual(findMasks(text, '[MASK]'), [
      [4, 10],
      [22, 28],
      [44, 50],
    ]);
    assert.deepEqual(findMasks('a <mask> b', '<mask>'), [[2, 8]]);
    assert.deepEqual(findMasks('abc', ''), []);
  });
  const table: Array<[number, [number, number] | undefined]> = [
    [4, [4, 10]], // on the opening bracket
    [7, [4, 10]],
    [10, [4, 10]], // right after the closing bracket
    [3, undefined],
    [11, undefined],
    [25, [22, 28]],
    [35, undefined],
    [44, [44, 50]],
  ];
  for (const [offset, want] of table) {
    void test(`maskAt ${offset}`, () => assert.deepEqual(maskAt(text, offset, '[MASK]'), want));
  }
  void test('gapBeforeMask', () => {
    assert.equal(gapBeforeMask('the  [MASK]', 5), 2);
    assert.equal(gapBeforeMask('the[MASK]', 3), 0);
    assert.equal(gapBeforeMask('x\n  [MASK]', 4), 0, 'indentation at a line start is no gap');
    assert.equal(gapBeforeMask('[MASK]', 0), 0);
  });
});

void describe('maskContext', () => {
  void test('the paragraph around the mask', () => {
    const text = 'First para.\n\nSecond [MASK] para\nstill second [MASK].\n\nThird.';
    const m = maskAt(text, 21, '[MASK]')!;
    const ctx = maskContext(text, m);
    assert.equal(ctx.text, 'Second [MASK] para\nstill second [MASK].');
    assert.equal(ctx.text.slice(ctx.mask[0], ctx.mask[1]), '[MASK]');
    assert.equal(ctx.start + ctx.mask[0], m[0]);
  });
  void test('a long paragraph is cut around the mask', () => {
    const text = `${'a '.repeat(3000)}[MASK]${' b'.repeat(3000)}`;
    const m = findMasks(text, '[MASK]')[0];
    const ctx = maskContext(text, m, 100);
    assert.equal(ctx.text.length, 100);
    assert.equal(ctx.text.slice(ctx.mask[0], ctx.mask[1]), '[MASK]');
  });
});

void describe('hover markdown', () => {
  const predictions = [
    { token: 'mat', id: 7, score: 0.5123, sequence: '' },
    { token: '##s', id: 9, score: 0.0123, sequence: '' },
    { token: '|<b>', id: 3, score: 0.001, sequence: '' },
  ];
  const md = hoverMarkdown({
    uri: 'file:///w/a.txt',
    range: range(2, 8, 14),
    gapBefore: 1,
    predictions,
    modelLabel: 'run-1, step 10',
  });
  const rows = md.split('\n').filter((l) => /^\| \d/.test(l));

  void test('one heading, then one row per prediction with its probability', () => {
    assert.equal(md.split('\n')[0], '**Fill mask**');
    assert.equal(rows.length, 3);
    assert.match(rows[0], /^\| 1 \| \[mat\]\(command:mlm\.replaceMask\?.*\) \| 51\.2% \|$/);
    assert.match(rows[1], /\| 1\.23% \|$/);
    assert.match(rows[2], /\| 0\.10% \|$/);
  });

  void test('command links carry {uri, range, token}; continuations glue to the previous word', () => {
    const args = rows.map((r) => {
      const m = /\(command:([^?]+)\?([^ )]+)/.exec(r)!;
      assert.equal(m[1], REPLACE_MASK_COMMAND);
      return (JSON.parse(decodeURIComponent(m[2])) as ReplaceMaskArgs[])[0];
    });
    assert.deepEqual(args[0], { uri: 'file:///w/a.txt', range: range(2, 8, 14), token: 'mat' });
    assert.deepEqual(args[1], { uri: 'file:///w/a.txt', range: range(2, 7, 14), token: 's' });
    assert.equal(args[2].token, '|<b>');
  });

  void test('token text cannot break the table or inject HTML', () => {
    assert.ok(rows[2].includes('[\\|\\<b\\>]'));
    assert.equal(escapeMarkdown('a*b_c`d'), 'a\\*b\\_c\\`d');
    assert.equal(escapeMarkdown('x\ny'), 'x y');
  });

  void test('replacementFor', () => {
    assert.deepEqual(replacementFor('cat', range(0, 4, 10), 1), { token: 'cat', range: range(0, 4, 10) });
    assert.deepEqual(replacementFor('##ing', range(0, 4, 10), 2), { token: 'ing', range: range(0, 2, 10) });
    assert.deepEqual(replacementFor('##', range(0, 4, 10), 1), { token: '##', range: range(0, 4, 10) });
  });
});

void describe('hover markdown with joint completions', () => {
  const text = 'The [MASK] [MASK] of America.';
  const spans: Array<[number, number]> = [
    [4, 10],
    [11, 17],
  ];
  const completion = (tokens: string[], score: number) => ({
    tokens,
    ids: [10, 11],
    sequence: '',
    pll: 2 * Math.log(score),
    score,
  });
  const md = hoverMarkdown({
    uri: 'file:///w/a.txt',
    range: range(0, 11, 17),
    gapBefore: 1,
    predictions: [{ token: 'states', id: 11, score: 0.4, sequence: '' }],
    modelLabel: 'run-1',
    joint: {
      completions: [completion(['united', 'states'], 0.81), completion(['new', '##s'], 0.01)],
      text,
      spans,
      ranges: [
        { range: range(0, 4, 10), gapBefore: 1 },
        { range: range(0, 11, 17), gapBefore: 1 },
      ],
      hovered: 1,
    },
  });
  const lines = md.split('\n');

  void test('the best completions come first, the hovered mask own list after', () => {
    assert.match(lines[0], /Best completions.*2 masks/);
    const rows = lines.filter((l) => /^\| \d/.test(l));
    assert.equal(rows.length, 3);
    assert.match(
      rows[0],
      /^\| 1 \| The \*\*united\*\* \*\*states\*\* of America\\\. \| 81\.0% \| \[fill all\]/,
    );
    assert.match(rows[1], /\*\*new\*\*\*\*s\*\*/, 'a ## piece joins the word before it');
  });

  void test('one heading per table: the own list is headed by its mask, with no second "Fill mask"', () => {
    const headings = lines.filter((l) => l.startsWith('**'));
    assert.deepEqual(headings, [
      '**Best completions** (2 masks, filled jointly)',
      '**Mask 2 of 2 on its own**',
    ]);
    const own = lines.indexOf('**Mask 2 of 2 on its own**');
    assert.deepEqual(lines.slice(own + 1, own + 3), ['', '| # | token | probability |']);
  });

  void test('"fill all" replaces every mask in one command', () => {
    const m = /\[fill all\]\(command:([^?]+)\?([^ )]+)/.exec(lines.find((l) => l.startsWith('| 2 |'))!)!;
    assert.equal(m[1], REPLACE_MASK_COMMAND);
    const [args] = JSON.parse(decodeURIComponent(m[2])) as ReplaceMaskArgs[];
    assert.deepEqual(args, {
      uri: 'file:///w/a.txt',
      range: range(0, 4, 10),
      token: 'new',
      also: [{ range: range(0, 10, 17), token: 's' }],
    });
  });

  void test('jointSnippet cuts long text around the masks', () => {
    const long = `${'x '.repeat(100)}a [MASK] b${' y'.repeat(100)}`;
    const at = long.indexOf('[MASK]');
    const snip = jointSnippet(long, [[at, at + 6]], ['cat']);
    assert.ok(snip.startsWith('…') && snip.endsWith('…'));
    assert.ok(snip.includes('a **cat** b'));
    assert.ok(snip.length < 100);
  });
});

void describe('substituteMasks', () => {
  const table: Array<{
    text: string;
    user: string;
    model: string;
    out: string;
    masks: Array<[number, number]>;
    restored?: string;
  }> = [
    {
      text: 'a [MASK] b [MASK]',
      user: '[MASK]',
      model: '[MASK]',
      out: 'a [MASK] b [MASK]',
      masks: [
        [2, 8],
        [11, 17],
      ],
    },
    { text: 'a <mask> b', user: '<mask>', model: '[MASK]', out: 'a [MASK] b', masks: [[2, 8]] },
    { text: 'nothing', user: '<mask>', model: '[MASK]', out: 'nothing', masks: [] },
    // Both spellings are understood whatever the setting: [MASK] typed for a RoBERTa (model mask <mask>).
    {
      text: 'a [MASK] b <mask>',
      user: '[MASK]',
      model: '<mask>',
      out: 'a <mask> b <mask>',
      masks: [
        [2, 8],
        [11, 17],
      ],
      restored: 'a [MASK] b [MASK]',
    },
    {
      text: 'x<mask>y',
      user: '[MASK]',
      model: '[MASK]',
      out: 'x[MASK]y',
      masks: [[1, 7]],
      restored: 'x[MASK]y',
    },
    // A user mask of another length: offsets stay in the user's text.
    {
      text: '__ and __',
      user: '__',
      model: '<mask>',
      out: '<mask> and <mask>',
      masks: [
        [0, 2],
        [7, 9],
      ],
    },
  ];
  for (const c of table) {
    void test(`${c.user} in "${c.text}"`, () => {
      const s = substituteMasks(c.text, c.user, c.model);
      assert.equal(s.text, c.out);
      assert.deepEqual(s.masks, c.masks);
      assert.equal(s.restore(c.out), c.restored ?? c.text);
    });
  }
});
