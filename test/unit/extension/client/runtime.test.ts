/**
 * Which Node runs the local backend (extension/client/runtime.ts): the setting, else in Electron (desktop VS Code)
 * the system Node PATH resolves to when it is ≥ 20, else the extension host's own runtime, each with the note the
 * log shows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseBackendRuntime,
  processRuntimeProbe,
  type RuntimeProbe,
} from '../../../../extension/client/runtime';

const probe = (electron: string | undefined, node?: { path: string; version: string }): RuntimeProbe => ({
  electron,
  execPath: '/opt/code/code',
  systemNode: () => node,
});

void describe('the backend runtime', () => {
  const cases: Array<{
    name: string;
    configured?: string;
    probe: RuntimeProbe;
    runtime: string | undefined;
    note: RegExp;
  }> = [
    {
      name: 'mlm.server.runtime wins everywhere',
      configured: '/my/node',
      probe: probe('34.2.0', { path: '/usr/bin/node', version: 'v22.1.0' }),
      runtime: '/my/node',
      note: /^\/my\/node \(mlm\.server\.runtime\)$/,
    },
    {
      name: 'a plain Node extension host (code-server) runs it itself',
      probe: probe(undefined, { path: '/usr/bin/node', version: 'v22.1.0' }),
      runtime: undefined,
      note: /^\/opt\/code\/code \(extension host\)$/,
    },
    {
      name: 'Electron: the system Node on PATH',
      probe: probe('34.2.0', { path: '/c/node', version: 'v20.11.1' }),
      runtime: '/c/node',
      note: /system Node v20\.11\.1: the WebGPU backend cannot run inside VS Code's Electron 34\.2\.0/,
    },
    {
      name: 'Electron with an old system Node: its own runtime, saying WebGPU is unavailable and what to do',
      probe: probe('34.2.0', { path: '/a/node', version: 'v18.19.0' }),
      runtime: undefined,
      note: /no system Node ≥ 20 on PATH \(\/a\/node is v18\.19\.0\).*WebAssembly: install Node\.js 20\+ or set mlm\.server\.runtime/,
    },
    {
      name: 'Electron without any Node on PATH: its own runtime',
      probe: probe('34.2.0'),
      runtime: undefined,
      note: /^\/opt\/code\/code \(extension host\); no system Node ≥ 20 on PATH, so the WebGPU backend is unavailable/,
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const r = chooseBackendRuntime(c.configured, c.probe);
      assert.equal(r.runtime, c.runtime);
      assert.match(r.note, c.note);
    });
  }

  void test('the real probe runs the `node` on PATH (the machine has Node ≥ 20, as the tests need)', () => {
    const r = chooseBackendRuntime(undefined, { ...processRuntimeProbe(), electron: '34.2.0' });
    assert.ok(r.runtime, r.note);
    assert.match(r.note, /\(system Node v\d+\.\d+\.\d+: the WebGPU backend cannot run inside/);
  });
});
