/**
 * Telemetry off, by construction: MLM Studio sends no telemetry, whatever isTelemetryEnabled says — no telemetry
 * package among its dependencies, no network client in the extension but the socket to a remote backend the user
 * configured, and on the backend only the Hugging Face Hub downloader (server/ml/hub/, on the user's request) and the
 * socket server reach the network.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

const NETWORK =
  /\bfetch\(|from ['"](node:)?(https?|http2|net|dgram|tls)['"]|require\(['"](node:)?(https?|net)['"]\)|XMLHttpRequest|WebSocket\(/;

void describe('telemetry', () => {
  void test('reliability: 29 telemetry off — no telemetry dependency, no network in the extension, the backend only downloads Hub models', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
    assert.deepEqual(
      deps.filter((d) => /telemetry|applicationinsights|analytics|sentry|segment|mixpanel/i.test(d)),
      [],
    );
    // The one socket: the language client's connection to a remote backend the user configured.
    const extension = sources('extension')
      .filter((f) => NETWORK.test(fs.readFileSync(path.join(ROOT, f), 'utf8')))
      .filter((f) => f !== path.join('extension', 'client', 'createClient.ts'));
    assert.deepEqual(extension, [], 'the extension opens no other network connection');
    const server = sources('server')
      .filter((f) => NETWORK.test(fs.readFileSync(path.join(ROOT, f), 'utf8')))
      .filter(
        (f) => !f.startsWith(path.join('server', 'ml', 'hub')) && !f.startsWith(path.join('server', 'rpc')),
      );
    assert.deepEqual(
      server,
      [],
      'only the Hub downloader (and the socket server, server/rpc) use the network',
    );
  });
});
