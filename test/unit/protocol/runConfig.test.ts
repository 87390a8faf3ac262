import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import {
  mergeRunConfig,
  parseDuration,
  parseRunConfig,
  RUN_CONFIG_SCHEMA,
} from '../../../protocol/runConfig';

void describe('parseRunConfig', () => {
  void test('an empty config resolves with every default filled in', () => {
    const r = parseRunConfig({});
    assert.ok(r.ok);
    const c = r.config;
    assert.equal(c.tokenizer.vocabSize, 8192);
    assert.equal(c.model.arch, 'bert');
    assert.equal(c.model.preset, 'tiny');
    assert.equal(c.model.init, null);
    assert.equal(c.data.seqLen, 128);
    assert.equal(c.data.mode, 'chunk');
    assert.equal(c.data.validationSplit, 0.05);
    assert.deepEqual(c.data.masking, {
      probability: 0.15,
      maskFraction: 0.8,
      randomFraction: 0.1,
      wholeWord: false,
    });
    assert.equal(c.training.weightDecay, 0.01);
    assert.equal(c.training.clipNorm, 1);
    assert.equal(c.checkpoint.keepLast, 3);
    assert.equal(c.checkpoint.keepBest, true);
    assert.equal(c.backend, 'auto');
    assert.equal(c.output.dir, null);
    assert.deepEqual(parseRunConfig(undefined), r);
  });

  void test('the input is not modified', () => {
    const raw = { training: { lr: 0.1 } };
    parseRunConfig(raw);
    assert.deepEqual(raw, { training: { lr: 0.1 } });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['negative lr', { training: { lr: -1 } }, /^training\.lr must be > 0, got -1$/],
    ['zero batch', { training: { batchSize: 0 } }, /^training\.batchSize must be >= 1, got 0$/],
    [
      'fractional steps',
      { training: { maxSteps: 1.5 } },
      /^training\.maxSteps must be integer or null, got 1\.5$/,
    ],
    ['wrong type', { data: { seqLen: '128' } }, /^data\.seqLen must be integer, got "128"$/],
    ['unknown arch', { model: { arch: 'lstm' } }, /^model\.arch must be one of "bert", "bigru", got "lstm"$/],
    [
      'unknown preset',
      { model: { preset: 'huge' } },
      /^model\.preset must be one of "tiny", "mini", "small", "medium", "base", got "huge"$/,
    ],
    [
      'probability > 1',
      { data: { masking: { probability: 1.5 } } },
      /^data\.masking\.probability must be <= 1, got 1\.5$/,
    ],
    [
      'unknown field',
      { training: { learningRate: 1 } },
      /^training\.learningRate is not a known field \(allowed in training: batchSize, .*lr/,
    ],
    [
      'bad budget',
      { training: { timeBudget: '10 minutes' } },
      /^training\.timeBudget must be a duration like "10m", "90s" or "1h30m", got "10 minutes"$/,
    ],
    [
      '80/10/10 over 1',
      { data: { masking: { maskFraction: 0.9, randomFraction: 0.2 } } },
      /maskFraction \+ data\.masking\.randomFraction must be <= 1, got 0\.9 \+ 0\.2/,
    ],
    [
      'heads',
      { model: { overrides: { hiddenSize: 100, numAttentionHeads: 3 } } },
      /hiddenSize must be a multiple of model\.overrides\.numAttentionHeads, got 100 and 3/,
    ],
    [
      'seqLen > positions',
      { data: { seqLen: 256 }, model: { overrides: { maxPositionEmbeddings: 128 } } },
      /data\.seqLen must be <= model\.overrides\.maxPositionEmbeddings \(128\), got 256/,
    ],
    [
      'backend',
      { backend: 'gpu' },
      /^backend must be one of "auto", "webgpu", "cuda", "tensorflow", "wasm", "cpu", got "gpu"$/,
    ],
    ['not an object', [1, 2], /must be a JSON object, got an array/],
    ['empty corpus paths', { corpus: { paths: [] } }, /^corpus\.paths must have at least 1 item/],
    ['empty include', { corpus: { include: [] } }, /^corpus\.include must have at least 1 item/],
    ['task without init', { task: { train: 'a.csv' } }, /^task must have required property 'init'/],
    [
      'unknown task kind',
      { task: { train: 'a.csv', init: 'm', kind: 'ranking' } },
      /^task\.kind must be one of "classification", "multilabel", "regression", "token", got "ranking"$/,
    ],
    [
      'task split over 0.9',
      { task: { train: 'a.csv', init: 'm', validationSplit: 0.95 } },
      /^task\.validationSplit must be <= 0\.9, got 0\.95$/,
    ],
    [
      'bad class weights',
      { task: { train: 'a.csv', init: 'm', classWeights: 'inverse' } },
      /^task\.classWeights must be one of "none", "balanced" or an array, got "inverse"$/,
    ],
    [
      'unknown task field',
      { task: { train: 'a.csv', init: 'm', labels: 'x' } },
      /^task\.labels is not a known field \(allowed in task: kind, train, eval/,
    ],
    [
      'a pretraining section beside task',
      { task: { train: 'a.csv', init: 'm' }, data: { seqLen: 64 } },
      /^data is not used by a fine-tune run \(the model, tokenizer and length come from task\.init\)/,
    ],
  ];
  for (const [name, raw, re] of bad) {
    void test(`rejects ${name}: names field, value and range`, () => {
      const r = parseRunConfig(raw);
      assert.equal(r.ok, false);
      if (!r.ok)
        assert.ok(
          r.errors.some((e) => re.test(e)),
          r.errors.join(' | '),
        );
    });
  }

  void test('a task section is kept as written (fine-tuning fills its defaults); none means pretraining', () => {
    const task = { train: 'reviews.csv', init: '.mlm/runs/a', kind: 'multilabel', threshold: 0.3 };
    const r = parseRunConfig({ task, training: { epochs: 5 } });
    assert.ok(r.ok, r.ok ? '' : r.errors.join(' | '));
    if (r.ok) assert.deepEqual(r.config.task, task);
    const p = parseRunConfig({});
    assert.ok(p.ok);
    if (p.ok) assert.equal(p.config.task, null);
  });

  void test('all errors are reported at once', () => {
    const r = parseRunConfig({ training: { lr: 0, batchSize: -2 }, data: { seqLen: 2 } });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.errors.length, 3);
  });
});

void describe('helpers', () => {
  for (const [text, ms] of [
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    [' 2m 30s ', 150_000],
  ] as const) {
    void test(`parseDuration("${text}") = ${ms}`, () => assert.equal(parseDuration(text), ms));
  }
  for (const text of ['', '10', 'ten minutes', '0s', '5x']) {
    void test(`parseDuration("${text}") is invalid`, () => assert.equal(parseDuration(text), undefined));
  }
  void test('mergeRunConfig: flags override the file, objects merge, undefined keeps the file value', () => {
    const file = { training: { lr: 0.1, batchSize: 8 }, corpus: { include: ['a/**'] } };
    const merged = mergeRunConfig(file, {
      training: { lr: 0.2, seed: undefined },
      corpus: { include: ['b/**'] },
    });
    assert.deepEqual(merged, { training: { lr: 0.2, batchSize: 8 }, corpus: { include: ['b/**'] } });
  });
  void test('the JSON Schema (used by VS Code too) compiles in strict mode and its defaults validate', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, strictTypes: false });
    // The schema's one vendor keyword: the run-config form's file dialog for a path field (protocol/runConfigForm.ts).
    ajv.addKeyword({ keyword: 'x-mlm-path', metaSchema: { enum: ['file', 'folder', 'any'] } });
    const validate = ajv.compile(RUN_CONFIG_SCHEMA);
    const r = parseRunConfig({});
    assert.ok(r.ok && validate(r.config), JSON.stringify(validate.errors));
  });
});
