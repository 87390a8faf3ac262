// The run-config form's writes: one value changed in the text with jsonc-parser, everything else (comments, unknown
// keys, order, indentation, line ends) byte for byte the same; edits refused by the validator; presets applied.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { editedText, formDocument } from '../../../../extension/runConfig/formDocument';
import {
  readJsonText,
  replacementBetween,
  withValue,
  withValues,
} from '../../../../extension/runConfig/jsonText';
import { RUN_CONFIG_PRESETS } from '../../../../extension/runConfig/presets';

const commented = `{
  // my settings
  "name": "demo", /* inline */
  "training": {
    "lr": 0.001, // peak
    "myNote": "kept"
  },
  "x-unknown": [1, 2]
}
`;

void describe('withValue: one value changed, the rest of the text kept', () => {
  const cases: Array<[string, string, Array<string | number>, unknown, string]> = [
    [
      'replace a number, comments stay',
      commented,
      ['training', 'lr'],
      0.002,
      commented.replace('"lr": 0.001', '"lr": 0.002'),
    ],
    [
      'add a key to an existing section',
      '{\n  "training": {\n    "lr": 0.001\n  }\n}\n',
      ['training', 'batchSize'],
      8,
      '{\n  "training": {\n    "lr": 0.001,\n    "batchSize": 8\n  }\n}\n',
    ],
    [
      'create a missing section',
      '{\n  "name": "a"\n}\n',
      ['data', 'masking', 'wholeWord'],
      true,
      '{\n  "name": "a",\n  "data": {\n    "masking": {\n      "wholeWord": true\n    }\n  }\n}\n',
    ],
    [
      'remove a key (undefined) so that the default applies',
      '{\n  "name": "a",\n  "threads": 2\n}\n',
      ['threads'],
      undefined,
      '{\n  "name": "a"\n}\n',
    ],
    ['an empty file becomes an object', '', ['name'], 'n', '{\n  "name": "n"\n}\n'],
    [
      'tabs and CRLF as the file has them',
      '{\r\n\t"name": "a"\r\n}\r\n',
      ['backend'],
      'wasm',
      '{\r\n\t"name": "a",\r\n\t"backend": "wasm"\r\n}\r\n',
    ],
    [
      'null where the schema allows it',
      '{ "training": { "clipNorm": 1 } }',
      ['training', 'clipNorm'],
      null,
      '{ "training": { "clipNorm": null } }',
    ],
    [
      'a list replaced as a whole',
      '{ "corpus": { "include": ["a"] } }',
      ['corpus', 'include'],
      ['a', 'b/**'],
      '{ "corpus": { "include": ["a", "b/**"] } }',
    ],
  ];
  for (const [title, before, path, value, after] of cases) {
    void test(title, () => {
      const out = withValue(before, path, value);
      if (value === undefined || before.includes('\n')) assert.equal(out, after);
      else assert.deepEqual(readJsonText(out), readJsonText(after));
      const r = replacementBetween(before, out);
      assert.ok(r);
      assert.equal(before.slice(0, r.offset) + r.content + before.slice(r.offset + r.length), out);
    });
  }

  const removals: Array<[string, string, string]> = [
    ['first', 'a', '{\n  // about a\n  // about b\n  "b": 2, // trailing b\n  "c": 3 // about c\n}\n'],
    ['middle', 'b', '{\n  "a": 1, // about a\n  // about b\n  // trailing b\n  "c": 3 // about c\n}\n'],
    ['last', 'c', '{\n  "a": 1, // about a\n  // about b\n  "b": 2 // trailing b\n  // about c\n}\n'],
  ];
  const three = '{\n  "a": 1, // about a\n  // about b\n  "b": 2, // trailing b\n  "c": 3 // about c\n}\n';
  for (const [where, key, after] of removals) {
    void test(`removing the ${where} key keeps every comment and the JSON valid`, () => {
      const out = withValue(three, [key], undefined);
      assert.equal(out, after);
      assert.ok(readJsonText(out).ok);
    });
  }

  void test('comments and unknown keys survive every kind of edit', () => {
    let text = commented;
    for (const [path, value] of [
      [['training', 'lr'], 0.01],
      [['model', 'arch'], 'bigru'],
      [['tokenizer', 'lowercase'], false],
      [['corpus', 'include'], ['**/*.txt']],
      [['training', 'dataParallel'], 'auto'],
      [['name'], undefined],
    ] as Array<[string[], unknown]>)
      text = withValue(text, path, value);
    for (const kept of [
      '// my settings',
      '/* inline */',
      '// peak',
      '"myNote": "kept"',
      '"x-unknown": [1, 2]',
    ])
      assert.ok(text.includes(kept), `${kept} in\n${text}`);
    const read = readJsonText(text);
    assert.ok(read.ok);
    assert.deepEqual(read.value, {
      training: { lr: 0.01, myNote: 'kept', dataParallel: 'auto' },
      'x-unknown': [1, 2],
      model: { arch: 'bigru' },
      tokenizer: { lowercase: false },
      corpus: { include: ['**/*.txt'] },
    });
  });
});

void describe('editedText: the validator decides what the form may write', () => {
  const cases: Array<[string, string[], unknown, RegExp | null]> = [
    ['{}', ['training', 'lr'], 0.002, null],
    ['{}', ['training', 'lr'], -1, /training\.lr must be > 0, got -1/],
    ['{}', ['tokenizer', 'vocabSize'], 8, /tokenizer\.vocabSize must be >= 16, got 8/],
    ['{}', ['training', 'timeBudget'], 'soon', /training\.timeBudget must be a duration/],
    ['{}', ['corpus', 'include'], [''], /corpus\.include\.0 must not be empty/],
    [
      '{}',
      ['training', 'dataParallel'],
      99,
      /training\.dataParallel must be "auto" or an integer from 1 to 32/,
    ],
    // Problems elsewhere do not stop an edit: a cross-field check names another field, an unknown key is its own.
    ['{ "training": { "bogus": 1 } }', ['training', 'lr'], 0.1, null],
    ['{ "data": { "masking": { "maskFraction": 0.9 } } }', ['data', 'masking', 'randomFraction'], 0.2, null],
    ['{ "name": ', ['name'], 'x', /not valid JSON .*fix it as text first/],
  ];
  for (const [text, path, value, refused] of cases) {
    void test(`${path.join('.')} = ${JSON.stringify(value)} in ${text}`, () => {
      const r = editedText(text, path, value);
      if (refused) {
        assert.ok(!r.ok);
        assert.match(r.message, refused);
      } else assert.ok(r.ok);
    });
  }
});

void describe('formDocument', () => {
  void test('the value, and each problem with the field it names', () => {
    const m = formDocument('{ "training": { "lr": -1 }, // c\n "extra": 1 }');
    assert.deepEqual(m.value, { training: { lr: -1 }, extra: 1 });
    assert.deepEqual(m.problems.map((p) => p.field).sort(), ['extra', 'training.lr']);
    assert.deepEqual(
      m.presets.map((p) => p.id),
      RUN_CONFIG_PRESETS.map((p) => p.id),
    );
  });

  void test('text that is not JSON: the error with its line and column, no value', () => {
    const m = formDocument('{\n  "name": "a"\n  "backend": "wasm"\n}');
    assert.equal(m.value, undefined);
    assert.match(m.error ?? '', /CommaExpected at line 3, column 3/);
  });

  void test('a preset is written over the config; comments and other keys stay, and the result is valid', () => {
    for (const preset of RUN_CONFIG_PRESETS) {
      const text = withValues(commented, preset.config);
      assert.ok(text.includes('// my settings') && text.includes('"myNote": "kept"'), preset.id);
      const read = readJsonText(text);
      assert.ok(read.ok);
      const doc = formDocument(text);
      assert.deepEqual(
        doc.problems.map((p) => p.field).sort(),
        ['training.myNote', 'x-unknown'],
        `${preset.id}: only the unknown keys are problems`,
      );
    }
  });
});
