import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_CLIENT_SETTINGS,
  formatRemoteAddress,
  parseClientSettings,
  parseRemoteAddress,
  type RemoteAddress,
} from '../../../extension/settings';

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

void describe('mlm.server.mode and mlm.server.address', () => {
  const cases: Array<[string, unknown, 'local' | 'remote', RemoteAddress | undefined, RegExp[]]> = [
    ['default: local, no address', {}, 'local', undefined, []],
    [
      'remote with host:port',
      { mode: 'remote', address: 'gpu-box:7000' },
      'remote',
      { host: 'gpu-box', port: 7000 },
      [],
    ],
    [
      'an IPv6 address',
      { mode: 'remote', address: ' [::1]:7000 ' },
      'remote',
      { host: '::1', port: 7000 },
      [],
    ],
    [
      'an unknown mode',
      { mode: 'cloud' },
      'local',
      undefined,
      [/mlm\.server\.mode must be "local" or "remote", got "cloud"/],
    ],
    [
      'no port',
      { address: 'gpu-box' },
      'local',
      undefined,
      [/mlm\.server\.address: "gpu-box" is not host:port/],
    ],
    ['port 0', { address: 'h:0' }, 'local', undefined, [/port 1\.\.65535/]],
    ['port too large', { address: 'h:70000' }, 'local', undefined, [/port 1\.\.65535/]],
    ['an unbracketed IPv6', { address: '::1:7000' }, 'local', undefined, [/is not host:port/]],
    ['a number', { address: 7000 }, 'local', undefined, [/must be a string "host:port", got 7000/]],
  ];
  for (const [name, server, mode, address, errors] of cases) {
    void test(name, () => {
      const r = parseClientSettings({ server });
      assert.equal(r.settings.mode, mode);
      assert.deepEqual(r.settings.address, address);
      assert.equal(r.errors.length, errors.length, r.errors.join('\n'));
      errors.forEach((re, i) => assert.match(r.errors[i], re));
    });
  }
  void test('formatRemoteAddress round-trips', () => {
    for (const text of ['gpu-box:7000', '[::1]:7000', '10.0.0.2:1']) {
      const a = parseRemoteAddress(text);
      assert.ok(typeof a !== 'string');
      assert.equal(formatRemoteAddress(a), text);
    }
  });
});
