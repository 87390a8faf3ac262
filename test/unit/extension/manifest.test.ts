import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS, parseServerSettings } from '../../../protocol/settings';
import { DEFAULT_CLIENT_SETTINGS, parseClientSettings } from '../../../extension/settings';

const root = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const commands: Array<{ command: string; title: string; category: string }> = pkg.contributes.commands;
const declared = new Set(commands.map((c) => c.command));

/**
 * The `mlm.*` keys a parser reads: it is handed an object that records every property read and answers each
 * with another such object; a read path that nothing was read below is a setting.
 */
function keysRead(parse: (raw: unknown) => unknown): string[] {
  const paths = new Set<string>();
  const node = (at: string): object =>
    new Proxy(
      {},
      {
        get: (_, key) => {
          // JSON.stringify (error messages) asks for toJSON; symbols are the runtime's own questions.
          if (typeof key === 'symbol' || key === 'toJSON') return undefined;
          const p = at ? `${at}.${key}` : key;
          paths.add(p);
          return node(p);
        },
      },
    );
  parse({ mlm: node('mlm') });
  const all = [...paths];
  return all.filter((p) => p.startsWith('mlm.') && !all.some((q) => q.startsWith(`${p}.`))).sort();
}

void describe('package.json manifest', () => {
  void test('every command is unique, in category MLM, with a title', () => {
    assert.equal(declared.size, commands.length);
    for (const c of commands) {
      assert.equal(c.category, 'MLM', c.command);
      assert.ok(c.title.length > 0, c.command);
      assert.match(c.command, /^mlm\./);
    }
  });

  void test('menus only reference declared commands', () => {
    for (const [menu, items] of Object.entries(
      pkg.contributes.menus as Record<string, Array<{ command: string }>>,
    )) {
      for (const item of items) assert.ok(declared.has(item.command), `${menu}: ${item.command}`);
    }
  });

  void test('the walkthrough links declared commands and ships its media', () => {
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
    const walkthroughs = pkg.contributes.walkthroughs as Array<{
      steps: Array<{ description: string; media: { markdown: string }; completionEvents: string[] }>;
    }>;
    assert.ok(walkthroughs.length > 0);
    for (const step of walkthroughs.flatMap((w) => w.steps)) {
      for (const m of step.description.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(declared.has(m[1]), m[1]);
      for (const e of step.completionEvents) assert.ok(declared.has(e.replace(/^onCommand:/, '')), e);
      assert.ok(fs.existsSync(path.join(root, step.media.markdown)), step.media.markdown);
      assert.ok(
        ignore.includes(`!${path.dirname(step.media.markdown)}/*.md`),
        `.vscodeignore ships ${step.media.markdown}`,
      );
    }
    assert.match(
      walkthroughs[0].steps[0].description,
      /command:mlm\.useHubModel/,
      'the Hub model comes first',
    );
  });

  void test('the run-config schema ships and validates *.mlm.json', () => {
    const [v] = pkg.contributes.jsonValidation;
    assert.equal(v.fileMatch, '*.mlm.json');
    const file = path.join(root, v.url);
    assert.ok(fs.existsSync(file), file);
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes(`!${path.relative(root, file)}`), '.vscodeignore whitelists the schema');
  });

  void test('the icon is a 128×128 PNG', () => {
    const png = fs.readFileSync(path.join(root, pkg.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
  });

  void test('Workspace Trust is limited and the runtime setting is restricted', () => {
    const trust = pkg.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.ok(trust.restrictedConfigurations.includes('mlm.server.runtime'));
    assert.equal(pkg.contributes.configuration.properties['mlm.server.runtime'].scope, 'machine');
  });

  void test('the dashboard serializer can activate the extension', () => {
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:mlmDashboard'));
  });

  void test('every mlm.* setting default parses without errors, through the parser that reads it', () => {
    const raw: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(
      pkg.contributes.configuration.properties as Record<string, { default: unknown }>,
    )) {
      const parts = key.split('.').slice(1);
      let o = raw;
      for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
      o[parts[parts.length - 1]] = spec.default;
    }
    assert.deepEqual(parseServerSettings(raw).errors, []);
    assert.deepEqual(parseClientSettings(raw).errors, []);
    // package.json's defaults are the parsers' defaults.
    assert.deepEqual(parseServerSettings(raw).settings, DEFAULT_SETTINGS);
    assert.deepEqual(parseClientSettings(raw).settings, DEFAULT_CLIENT_SETTINGS);
  });

  void test('package.json declares exactly the settings the code reads, and the code reads every one declared', () => {
    const read = [
      ...keysRead(parseServerSettings),
      ...keysRead((raw) => parseClientSettings((raw as { mlm: unknown }).mlm)),
      'mlm.trace.server', // read by vscode-languageclient for the client id 'mlm'
    ].sort();
    const declaredKeys = Object.keys(pkg.contributes.configuration.properties).sort();
    assert.deepEqual(
      read.filter((k) => !declaredKeys.includes(k)),
      [],
      'read but not declared in contributes.configuration',
    );
    assert.deepEqual(
      declaredKeys.filter((k) => !read.includes(k)),
      [],
      'declared but read by no parser',
    );
  });
});
