import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_CLIENT_SETTINGS, parseClientSettings } from '../../../extension/settings';

void describe('parseClientSettings', () => {
  const cases: Array<{
    name: string;
    raw: unknown;
    runtime?: string;
    smoothing?: number;
    classifyHover?: boolean;
    errors: RegExp[];
  }> = [
    { name: 'nothing set', raw: undefined, errors: [] },
    { name: 'empty runtime = host runtime', raw: { server: { runtime: '' } }, errors: [] },
    {
      name: 'absolute runtime',
      raw: { server: { runtime: ' /usr/bin/node ' } },
      runtime: '/usr/bin/node',
      errors: [],
    },
    {
      name: 'relative runtime rejected',
      raw: { server: { runtime: 'node' } },
      errors: [/mlm\.server\.runtime must be an absolute path.*"node"/],
    },
    {
      name: 'runtime of the wrong type',
      raw: { server: { runtime: 3 } },
      errors: [/must be a string, got 3/],
    },
    { name: 'smoothing in range', raw: { dashboard: { smoothing: 0.9 } }, smoothing: 0.9, errors: [] },
    { name: 'classify hover off', raw: { classify: { hover: false } }, classifyHover: false, errors: [] },
    {
      name: 'classify hover not a boolean',
      raw: { classify: { hover: 'yes' } },
      errors: [/mlm\.classify\.hover must be true or false, got "yes"; using true/],
    },
    {
      name: 'smoothing out of range',
      raw: { dashboard: { smoothing: 1.5 } },
      errors: [/mlm\.dashboard\.smoothing must be a number in 0\.\.0\.99, got 1\.5; using 0\.6/],
    },
    { name: 'not an object', raw: 'x', errors: [] },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const { settings, errors } = parseClientSettings(c.raw);
      assert.equal(settings.runtime, c.runtime ?? DEFAULT_CLIENT_SETTINGS.runtime);
      assert.equal(settings.smoothing, c.smoothing ?? DEFAULT_CLIENT_SETTINGS.smoothing);
      assert.equal(settings.classifyHover, c.classifyHover ?? DEFAULT_CLIENT_SETTINGS.classifyHover);
      assert.equal(errors.length, c.errors.length, errors.join('\n'));
      c.errors.forEach((re, i) => assert.match(errors[i], re));
    });
  }
});
