/** The inputs of a file to predict on (server/ml/finetune/predictInputs.ts): lines, JSONL objects, their errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePredictInputs } from '../../../../../server/ml/finetune/predictInputs';

void describe('parsePredictInputs', () => {
  const good: Array<[string, string, string, unknown]> = [
    [
      'text lines, blanks skipped, CRLF',
      'in.txt',
      'a\r\n\r\n b \nc',
      [
        { text: 'a', line: 1 },
        { text: ' b ', line: 3 },
        { text: 'c', line: 4 },
      ],
    ],
    [
      'JSONL with a pair',
      'in.jsonl',
      '{"text":"a"}\n\n{"text":"b","text_pair":"c"}\n',
      [
        { text: 'a', line: 1 },
        { text: 'b', textPair: 'c', line: 3 },
      ],
    ],
    [
      'a .md file is lines too',
      'n.md',
      '# h\n{"text":"x"}',
      [
        { text: '# h', line: 1 },
        { text: '{"text":"x"}', line: 2 },
      ],
    ],
  ];
  for (const [name, file, raw, want] of good)
    void test(name, () => assert.deepEqual(parsePredictInputs(raw, file), want));

  const bad: Array<[string, string, string, RegExp]> = [
    ['no lines', 'in.txt', '\n  \n', /in\.txt has no input lines/],
    ['broken JSON', 'in.jsonl', '{"text":"a"}\n{"text":', /in\.jsonl:2: not valid JSON/],
    ['no text', 'in.ndjson', '{"label":"a"}', /in\.ndjson:1: no "text" string/],
    ['a JSON array', 'in.jsonl', '["a"]', /in\.jsonl:1: no "text" string/],
  ];
  for (const [name, file, raw, re] of bad)
    void test(`rejects ${name}`, () => assert.throws(() => parsePredictInputs(raw, file), re));
});
