// The README's test command (`npm test`) runs every tier in order and prints one closing line
// "N passed, N failed". Usage: node .ci/test.mjs [static|unit|protocol|e2e]...   (default: all tiers)
// Each tier's failures are counted; the run goes on so that one report shows everything.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const all = ['build', 'static', 'unit', 'protocol', 'webgpu', 'e2e'];
const asked = process.argv.slice(2);
const tiers = asked.length ? asked : all;
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

function run(label, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n── ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  return { ok: r.status === 0, secs, status: r.status ?? r.signal };
}

/** Every *.test.ts below dir (Node 20's test runner takes no globs). */
function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, dir));
  return out.sort();
}

function nodeTests(tier) {
  const files = testFiles(`test/${tier}`);
  if (!files.length) {
    // A tier that finds nothing to run must not pass: a moved folder would otherwise skip it silently.
    totals.failed += 1;
    lines.push(`${tier}: FAILED — no *.test.ts files under test/${tier}/`);
    return;
  }
  const tap = path.join(os.tmpdir(), `mlm-${tier}-${process.pid}.tap`);
  const r = run(tier, process.execPath, [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ]);
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  fs.rmSync(tap, { force: true });
  const count = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  const passed = count('pass');
  let failed = count('fail') + count('cancelled');
  if (!r.ok && failed === 0) failed = 1; // the runner itself failed (crash, bad loader)
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += count('skipped') + count('todo');
  lines.push(`${tier}: ${passed} passed, ${failed} failed (${files.length} files, ${r.secs}s)`);
}

function step(label, cmd, args) {
  const r = run(label, cmd, args);
  if (r.ok) totals.passed += 1;
  else totals.failed += 1;
  lines.push(`${label}: ${r.ok ? 'ok' : `FAILED (exit ${r.status})`} (${r.secs}s)`);
  return r.ok;
}

const bin = (name) => path.join(root, 'node_modules/.bin', name);
for (const tier of tiers) {
  switch (tier) {
    case 'build':
      step('build', process.execPath, ['.ci/build.mjs']);
      break;
    case 'static':
      // One TypeScript project per environment: Node code, the webview (browser), the tests.
      for (const project of ['tsconfig.json', 'media/tsconfig.json', 'test/tsconfig.json'])
        step(`typecheck ${project}`, bin('tsc'), ['-p', project]);
      step('lint', bin('eslint'), ['.', '--max-warnings=0']);
      step('format', bin('prettier'), ['--check', '.', '--log-level=warn']);
      break;
    case 'unit':
    case 'protocol':
      nodeTests(tier);
      break;
    case 'webgpu': {
      // The WebGPU backend's parity tests need a Dawn adapter: a GPU, or Mesa's software Vulkan (lavapipe, which
      // .ci/run installs). Without one the tier is skipped with the reason, except in CI where it must run.
      const probe = spawnSync(process.execPath, ['--import', 'tsx', 'test/webgpu/probe.ts'], {
        cwd: root,
        encoding: 'utf8',
      });
      let p;
      try {
        p = JSON.parse(probe.stdout.trim().split('\n').pop());
      } catch {
        p = {
          ok: false,
          reason: `the probe failed (exit ${probe.status}): ${probe.stderr.trim().split('\n').pop()}`,
        };
      }
      if (p.ok) {
        console.log(
          `\n── webgpu adapter: ${p.adapter.description || p.adapter.device} (${p.adapter.api}${p.adapter.software ? ', software' : ''})`,
        );
        nodeTests('webgpu');
      } else if (process.env.CI === 'true') {
        totals.failed += 1;
        lines.push(
          `webgpu: FAILED — no WebGPU adapter in CI: ${p.reason} (.ci/run installs mesa-vulkan-drivers)`,
        );
      } else {
        lines.push(`webgpu: skipped — ${p.reason}`);
      }
      break;
    }
    case 'e2e': {
      const runner = 'test/e2e/run.ts';
      if (!fs.existsSync(path.join(root, runner))) {
        totals.failed += 1;
        lines.push(`e2e: FAILED — the e2e runner ${runner} does not exist`);
        break;
      }
      const summary = path.join(os.tmpdir(), `mlm-e2e-${process.pid}.json`);
      const r = run('e2e', process.execPath, ['--import', 'tsx', runner], { MLM_E2E_SUMMARY: summary });
      const s = fs.existsSync(summary) ? JSON.parse(fs.readFileSync(summary, 'utf8')) : null;
      fs.rmSync(summary, { force: true });
      if (s?.skipped) {
        lines.push(`e2e: skipped — ${s.reason}`);
      } else {
        const passed = s?.passed ?? 0;
        const failed = (s?.failed ?? 0) || (r.ok ? 0 : 1);
        totals.passed += passed;
        totals.failed += failed;
        lines.push(`e2e: ${passed} passed, ${failed} failed (${r.secs}s)`);
      }
      break;
    }
    default:
      console.error(`unknown tier "${tier}"; tiers: ${all.join(', ')}`);
      process.exit(2);
  }
}

console.log('\n── summary');
for (const l of lines) console.log(`  ${l}`);
console.log(
  `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
process.exit(totals.failed ? 1 : 0);
