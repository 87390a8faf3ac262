// The run-config form's message guards: what each side accepts from the other.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFormToHostMessage, isHostToFormMessage } from '../../../protocol/runConfigFormMessages';

void describe('isFormToHostMessage', () => {
  const cases: Array<[unknown, boolean]> = [
    [{ type: 'ready' }, true],
    [{ type: 'openText' }, true],
    [{ type: 'edit', path: ['training', 'lr'], value: 0.001 }, true],
    [{ type: 'edit', path: ['training', 'lr'] }, true],
    [{ type: 'edit', path: [], value: 1 }, false],
    [{ type: 'edit', path: ['a', 1], value: 1 }, false],
    [{ type: 'edit', path: Array(9).fill('a'), value: 1 }, false],
    [{ type: 'edit', path: ['name'], value: 'x'.repeat(200_000) }, false],
    [{ type: 'pickPath', path: ['corpus', 'paths'], kind: 'folder', append: true }, true],
    [{ type: 'pickPath', path: ['corpus', 'paths'], kind: 'disk', append: true }, false],
    [{ type: 'pickPath', path: ['corpus', 'paths'], kind: 'file' }, false],
    [{ type: 'applyPreset', id: 'quick' }, true],
    [{ type: 'applyPreset', id: '' }, false],
    [{ type: 'run', command: 'rm' }, false],
    [null, false],
    ['ready', false],
  ];
  for (const [m, ok] of cases)
    void test(`${JSON.stringify(m)?.slice(0, 60)} → ${ok}`, () => assert.equal(isFormToHostMessage(m), ok));
});

void describe('isHostToFormMessage', () => {
  const presets = [{ id: 'quick', label: 'Quick', detail: '' }];
  const cases: Array<[unknown, boolean]> = [
    [{ type: 'document', value: {}, problems: [], presets }, true],
    [{ type: 'document', error: 'CommaExpected at line 2, column 3', problems: [], presets }, true],
    [{ type: 'document', value: {}, problems: [{ field: 'training.lr', message: 'm' }], presets }, true],
    [{ type: 'document', value: {}, problems: [{ field: 1 }], presets }, false],
    [{ type: 'document', value: {}, problems: [] }, false],
    [{ type: 'rejected', field: 'training.lr', message: 'training.lr must be > 0, got -1' }, true],
    [{ type: 'rejected', field: 'training.lr' }, false],
    [{ type: 'status' }, false],
  ];
  for (const [m, ok] of cases)
    void test(`${JSON.stringify(m).slice(0, 60)} → ${ok}`, () => assert.equal(isHostToFormMessage(m), ok));
});
