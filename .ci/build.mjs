// Bundles every entry point with esbuild into dist/. Entries whose source does not exist yet are skipped,
// so the build works at every stage of the project. Usage: node .ci/build.mjs [--watch]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');

/** Node bundles: CommonJS, everything bundled except VS Code and the optional native tfjs backends. */
const nodeEntries = [
  { in: 'extension/main.ts', out: 'extension' },
  { in: 'server/main.ts', out: 'server' },
  { in: 'server/worker/mlmWorker.ts', out: 'mlm-worker' },
  { in: 'server/worker/replicaWorker.ts', out: 'replica-worker' },
  { in: 'server/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'test/e2e/exthost/index.ts', out: 'test/index' },
];
/** Browser bundles for the webview. */
const webEntries = [{ in: 'media/dashboard/main.ts', out: 'media/dashboard' }];

const exists = (e) => fs.existsSync(path.join(root, e.in));
const nodeExternal = [
  'vscode',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'tokenizers',
  'playwright-core',
  'mocha',
];

async function main() {
  fs.mkdirSync(dist, { recursive: true });
  copyWasm();
  const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  const contexts = [];
  for (const e of nodeEntries.filter(exists)) {
    contexts.push(
      await esbuild.context({
        ...common,
        entryPoints: [{ in: e.in, out: e.out }],
        outdir: dist,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        external: nodeExternal,
        banner: e.banner ? { js: e.banner } : undefined,
        // tfjs-backend-wasm references these Node built-ins from its Emscripten glue.
        define: { 'process.env.NODE_ENV': '"production"' },
      }),
    );
  }
  for (const e of webEntries.filter(exists)) {
    contexts.push(
      await esbuild.context({
        ...common,
        entryPoints: [{ in: e.in, out: e.out }],
        outdir: dist,
        platform: 'browser',
        format: 'iife',
        target: 'es2022',
        loader: { '.css': 'css' },
      }),
    );
  }
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    console.log(`watching ${contexts.length} bundles`);
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  const cli = path.join(dist, 'cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
  console.log(`built ${contexts.length} bundles into dist/`);
}

/** The wasm backend loads its .wasm binaries (and the pthread worker script) from dist/wasm at run time. */
function copyWasm() {
  const src = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const out = path.join(dist, 'wasm');
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (f.endsWith('.wasm') || f.endsWith('.worker.js'))
      fs.copyFileSync(path.join(src, f), path.join(out, f));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
