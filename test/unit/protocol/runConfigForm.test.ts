// The run-config form derived from the JSON Schema: every kind of field the schema uses, sections, defaults, the
// reading of typed text, and the field each validator error points at.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRunConfig, RUN_CONFIG_SCHEMA } from '../../../protocol/runConfig';
import {
  allFields,
  describeWidget,
  formatValue,
  parseInput,
  problemField,
  runConfigForm,
  widget,
  type FieldWidget,
  type FormField,
  type FormSection,
} from '../../../protocol/runConfigForm';

const form = runConfigForm(RUN_CONFIG_SCHEMA);
const fields = new Map(allFields(form).map((f) => [f.path.join('.'), f]));
const field = (key: string): FormField => {
  const f = fields.get(key);
  assert.ok(f, `no form field ${key}`);
  return f;
};
const sections = (s: FormSection): FormSection[] => [s, ...s.sections.flatMap(sections)];

void describe('runConfigForm: one widget per schema type', () => {
  const cases: Array<[string, Partial<FormField>, Partial<FieldWidget> & { kind: FieldWidget['kind'] }]> = [
    ['name', { nullable: false, default: undefined }, { kind: 'text', maxLength: 80 }],
    [
      'training.timeBudget',
      { nullable: true, default: null },
      { kind: 'text', pattern: '^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*)+$' },
    ],
    ['tokenizer.path', { nullable: true }, { kind: 'text', pathKind: 'folder' }],
    ['task.train', { required: true }, { kind: 'text', pathKind: 'any', minLength: 1 }],
    [
      'tokenizer.vocabSize',
      { default: 8192 },
      { kind: 'number', integer: true, minimum: 16, maximum: 262144 },
    ],
    ['model.dropout', { default: 0.1 }, { kind: 'number', integer: false, minimum: 0, exclusiveMaximum: 1 }],
    [
      'training.lr',
      { default: 0.0005 },
      { kind: 'number', integer: false, exclusiveMinimum: 0, maximum: 1e6 },
    ],
    ['training.clipNorm', { nullable: true, default: 1 }, { kind: 'number', exclusiveMinimum: 0 }],
    ['training.maxSteps', { nullable: true, default: null }, { kind: 'number', integer: true, minimum: 1 }],
    ['tokenizer.lowercase', { default: true }, { kind: 'boolean' }],
    ['model.arch', { default: 'bert' }, { kind: 'enum', options: ['bert', 'bigru'] }],
    ['training.schedule', { default: 'linear' }, { kind: 'enum', options: ['linear', 'cosine', 'constant'] }],
    ['corpus.include', { default: ['**/*.txt', '**/*.md'] }, { kind: 'list', item: 'string', minItems: 1 }],
    ['corpus.paths', { nullable: true, default: null }, { kind: 'list', item: 'string', pathKind: 'any' }],
    [
      'model.overrides.hiddenSize',
      { default: undefined },
      { kind: 'number', integer: true, minimum: 8, maximum: 4096 },
    ],
    ['training.lossSpike.factor', { default: 5 }, { kind: 'number', exclusiveMinimum: 1 }],
    ['data.masking.wholeWord', { default: false }, { kind: 'boolean' }],
  ];
  for (const [key, props, w] of cases) {
    void test(`${key}: ${w.kind}`, () => {
      const f = field(key);
      for (const [k, v] of Object.entries(props)) assert.deepEqual(f[k as keyof FormField], v, `${key}.${k}`);
      for (const [k, v] of Object.entries(w))
        assert.deepEqual((f.widget as Record<string, unknown>)[k], v, `${key} widget.${k}`);
    });
  }

  void test('anyOf: training.dataParallel is "auto" or an integer 1 – 32', () => {
    const w = field('training.dataParallel').widget;
    assert.equal(w.kind, 'anyOf');
    assert.deepEqual(
      w.alternatives.map((a) => [a.constant, a.widget && describeWidget(a.widget)]),
      [
        ['auto', undefined],
        [undefined, 'integer 1 – 32'],
      ],
    );
  });

  void test('anyOf: task.classWeights is "none", "balanced" or a list of numbers', () => {
    const w = field('task.classWeights').widget;
    assert.equal(w.kind, 'anyOf');
    assert.deepEqual(
      w.alternatives.map((a) => a.constant ?? a.widget?.kind),
      ['none', 'balanced', 'list'],
    );
  });

  void test('schema shapes the form cannot edit are an error, not a silently missing field', () => {
    assert.throws(() => widget({ type: 'array', items: { type: 'object' } }), /arrays of object/);
    assert.throws(() => widget({ type: ['string', 'number'] }), /cannot edit/);
  });
});

void describe('runConfigForm: sections and coverage', () => {
  void test('a section per object, nested ones inside their parent, nullable ones marked', () => {
    assert.deepEqual(
      sections(form).map((s) => [s.path.join('.') || '(root)', s.nullable]),
      [
        ['(root)', false],
        ['corpus', false],
        ['tokenizer', false],
        ['model', false],
        ['model.overrides', false],
        ['data', false],
        ['data.masking', false],
        ['training', false],
        ['training.lossSpike', true],
        ['checkpoint', false],
        ['logging', false],
        ['output', false],
        ['task', true],
      ],
    );
    assert.deepEqual(
      form.fields.map((f) => f.path.join('.')),
      ['name', 'backend', 'threads'],
      'the root section holds the top-level scalars ($schema is not a setting)',
    );
  });

  void test('every property of the schema is a field or a section, exactly once', () => {
    const walk = (s: Record<string, unknown>, at: string[]): string[] =>
      Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>).flatMap(([k, p]) => [
        [...at, k].join('.'),
        ...walk(p, [...at, k]),
      ]);
    const inSchema = walk(RUN_CONFIG_SCHEMA as Record<string, unknown>, []).filter((k) => k !== '$schema');
    const inForm = [
      ...sections(form)
        .map((s) => s.path.join('.'))
        .filter((k) => k !== ''),
      ...allFields(form).map((f) => f.path.join('.')),
    ];
    assert.deepEqual([...inForm].sort(), [...inSchema].sort());
  });

  void test("the defaults shown are the validator's: parseRunConfig({}) resolves every defaulted field to them", () => {
    const r = parseRunConfig({});
    assert.ok(r.ok);
    const resolved = r.config as unknown as Record<string, unknown>;
    const at = (path: string[]) =>
      path.reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], resolved);
    const checked = allFields(form).filter((f) => f.default !== undefined && f.path[0] !== 'task');
    assert.ok(checked.length > 40, `${checked.length} fields with defaults`);
    // training.recipe "auto" resolves to a recipe; every other default comes back as it is.
    for (const f of checked.filter((f) => f.path.join('.') !== 'training.recipe'))
      assert.deepEqual(at(f.path), f.default, f.path.join('.'));
  });
});

void describe('parseInput / formatValue', () => {
  const num = (key: string) => field(key);
  const cases: Array<[string, string, unknown]> = [
    ['training.lr', '', undefined],
    ['training.lr', ' 0.001 ', 0.001],
    ['training.lr', '1e-4', 0.0001],
    ['training.lr', 'fast', 'enter a number'],
    ['tokenizer.vocabSize', '4096', 4096],
    ['tokenizer.vocabSize', '40.5', 'enter a whole number'],
    ['training.clipNorm', 'null', null],
    ['tokenizer.vocabSize', 'null', 'enter a number'],
    ['name', 'my run', 'my run'],
    ['model.arch', 'bigru', 'bigru'],
    ['model.arch', 'gpt', 'enter one of bert, bigru'],
    ['tokenizer.lowercase', 'false', false],
    ['corpus.include', 'a/**/*.txt\n\n b/*.md \n', ['a/**/*.txt', 'b/*.md']],
    ['training.dataParallel', 'auto', 'auto'],
    ['training.dataParallel', '2', 2],
    ['training.dataParallel', 'many', 'enter auto or integer 1 – 32'],
    ['task.classWeights', '1\n2.5', [1, 2.5]],
    ['task.classWeights', 'balanced', 'balanced'],
  ];
  for (const [key, text, expected] of cases) {
    void test(`${key} ← ${JSON.stringify(text)}`, () => {
      const f = num(key);
      const r = parseInput(f.widget, f.nullable, text);
      if (typeof expected === 'string' && expected.startsWith('enter '))
        assert.deepEqual(r, { ok: false, error: expected });
      else assert.deepEqual(r, { ok: true, value: expected });
      if (r.ok && r.value !== undefined)
        assert.deepEqual(
          parseInput(f.widget, f.nullable, formatValue(f.widget, r.value)),
          r,
          'formatValue reads back',
        );
    });
  }
});

void describe('problemField: the field each validator error names', () => {
  const cases: Array<[unknown, string[]]> = [
    [{ training: { lr: -1 } }, ['training.lr']],
    [{ training: { learningRate: 0.1 } }, ['training.learningRate']],
    [{ data: { masking: { maskFraction: 0.9, randomFraction: 0.2 } } }, ['data.masking.maskFraction']],
    [{ training: { dataParallel: 0 } }, ['training.dataParallel']],
    [{ training: { timeBudget: 'soon' } }, ['training.timeBudget']],
    [{ corpus: { include: [''] } }, ['corpus.include.0']],
    [{ model: { arch: 'gpt' }, name: 'x'.repeat(81) }, ['name', 'model.arch']],
    [{ task: { kind: 'classification' } }, ['task', 'task']], // train and init are required
    [[], ['']],
  ];
  for (const [config, expected] of cases) {
    void test(JSON.stringify(config).slice(0, 70), () => {
      const r = parseRunConfig(config);
      assert.ok(!r.ok);
      assert.deepEqual(r.errors.map(problemField).sort(), [...expected].sort(), r.errors.join('\n'));
    });
  }
});
