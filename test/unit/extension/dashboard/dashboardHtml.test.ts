import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contentSecurityPolicy, dashboardHtml, makeNonce } from '../../../../extension/dashboard/html';

const parts = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'abc123+/=',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/media/dashboard.js',
  styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard/dashboard.css'],
  smoothing: 0.6,
};

void describe('dashboard HTML', () => {
  void test("reliability: 23 webview XSS/CSP — default-src 'none', scripts only by nonce, styles/images/fonts only from the webview origin", () => {
    const csp = contentSecurityPolicy(parts.cspSource, parts.nonce);
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('script-src'), [`'nonce-${parts.nonce}'`]);
    assert.deepEqual(directives.get('style-src'), [parts.cspSource]);
    for (const [k, v] of directives)
      assert.ok(!v.includes("'unsafe-inline'") && !v.includes("'unsafe-eval'"), k);
  });

  void test('one script, carrying the nonce; no inline script; no remote origin other than the webview one', () => {
    const html = dashboardHtml(parts);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${parts.nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.equal(scripts[0][2].trim(), '');
    const origins = [...html.matchAll(/https?:\/\/[^/"\s;]+/g)].map((m) => m[0]);
    assert.ok(origins.length > 0);
    for (const o of origins) assert.equal(o, parts.cspSource);
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|content="default-src 'none'/,
    );
  });

  void test('attribute values are escaped', () => {
    const html = dashboardHtml({ ...parts, scriptUri: 'x"><img src=x onerror=alert(1)>' });
    assert.ok(!html.includes('<img'), html);
  });

  void test('a fresh 128-bit nonce per render', () => {
    const a = makeNonce();
    const b = makeNonce();
    assert.notEqual(a, b);
    assert.equal(Buffer.from(a, 'base64').length, 16);
  });
});
