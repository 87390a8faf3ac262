// Bundles every entry point with esbuild into dist/; a missing entry point fails the build. Files in dist/ that
// this build did not write are removed (stale bundles of renamed entries). When dist/ is newer than every input
// of the last build (sources, node_modules files, this script), the build is skipped: `npm ci` builds through
// `prepare` and `npm test` does not build again. Usage: node .ci/build.mjs [--watch | --force]
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const watch = process.argv.includes('--watch');
const force = process.argv.includes('--force');
/** What the last build read and wrote (paths relative to the root), for the up-to-date check. */
const stampFile = path.join(dist, '.build.json');

/** Node bundles: CommonJS, everything bundled except VS Code, Dawn and the optional native tfjs backends. */
const nodeEntries = [
  { in: 'extension/main.ts', out: 'extension' },
  { in: 'server/main.ts', out: 'server' },
  { in: 'server/worker/mlmWorker.ts', out: 'mlm-worker' },
  { in: 'server/worker/replicaWorker.ts', out: 'replica-worker' },
  { in: 'server/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node' },
  { in: 'test/e2e/exthost/index.ts', out: 'test/index' },
];
/** Browser bundles for the webview. */
const webEntries = [
  { in: 'media/dashboard/main.ts', out: 'media/dashboard' },
  { in: 'media/runConfigForm/main.ts', out: 'media/runConfigForm' },
];

const nodeExternal = [
  'vscode',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  // Dawn (optional): an ES module with a native addon, imported at run time from node_modules.
  'webgpu',
  'tokenizers',
  'playwright-core',
  'mocha',
];

async function main() {
  const missing = [...nodeEntries, ...webEntries].filter((e) => !fs.existsSync(path.join(root, e.in)));
  if (missing.length) {
    for (const e of missing)
      console.error(`build: entry point ${e.in} (bundle dist/${e.out}.js) does not exist`);
    console.error('Fix the entry list in .ci/build.mjs or restore the file.');
    process.exit(1);
  }
  if (!watch && !force && upToDate()) {
    console.log('dist/ is up to date (nothing changed since the last build; --force rebuilds)');
    return;
  }
  fs.mkdirSync(dist, { recursive: true });
  const wasmFiles = copyWasm();
  const launchFiles = copyLaunchTemplates();
  const common = { bundle: true, sourcemap: true, logLevel: 'warning', absWorkingDir: root, metafile: true };
  const contexts = [];
  for (const e of nodeEntries) {
    contexts.push(
      await esbuild.context({
        ...common,
        entryPoints: [{ in: e.in, out: e.out }],
        outdir: dist,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        external: nodeExternal,
        // jsonc-parser's `main` is a UMD whose inner requires esbuild does not follow; its ES module build bundles.
        alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
        banner: e.banner ? { js: e.banner } : undefined,
        // tfjs-backend-wasm references these Node built-ins from its Emscripten glue.
        define: { 'process.env.NODE_ENV': '"production"' },
      }),
    );
  }
  for (const e of webEntries) {
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
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
  const inputs = new Set([
    path.relative(root, import.meta.filename),
    'package-lock.json',
    ...launchFiles.map((f) => path.join(LAUNCH_TEMPLATES, path.basename(f))),
  ]);
  const outputs = new Set([...wasmFiles, ...launchFiles]);
  for (const r of results) {
    for (const f of Object.keys(r.metafile.inputs)) if (!f.includes(':')) inputs.add(f); // not virtual
    for (const f of Object.keys(r.metafile.outputs)) outputs.add(f);
  }
  const stale = removeStale(new Set([...outputs].map((f) => path.resolve(root, f))));
  fs.writeFileSync(
    stampFile,
    JSON.stringify({ entries: entryKey(), inputs: [...inputs], outputs: [...outputs] }),
  );
  console.log(
    `built ${contexts.length} bundles into dist/${stale ? `; removed ${stale} stale file(s)` : ''}`,
  );
}

/** The entry list, so that a changed list rebuilds. */
const entryKey = () => JSON.stringify([nodeEntries, webEntries]);

/** True when the last build's outputs all exist and none of its inputs is newer than its stamp. */
function upToDate() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    return false;
  }
  if (stamp.entries !== entryKey()) return false;
  const built = fs.statSync(stampFile).mtimeMs;
  try {
    if (!stamp.outputs.every((f) => fs.existsSync(path.resolve(root, f)))) return false;
    return stamp.inputs.every((f) => fs.statSync(path.resolve(root, f)).mtimeMs < built);
  } catch {
    return false; // an input is gone
  }
}

/** Deletes every file under dist/ that is not one of `keep` (absolute paths), and then empty folders. */
function removeStale(keep) {
  let removed = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        if (!fs.readdirSync(p).length) fs.rmdirSync(p);
      } else if (p !== stampFile && !keep.has(p)) {
        fs.rmSync(p);
        removed++;
      }
    }
  };
  walk(dist);
  return removed;
}

/**
 * The wasm backend loads its .wasm binaries (and the pthread worker script) from dist/wasm at run time. Returns
 * the copies' paths relative to the root.
 */
function copyWasm() {
  const src = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const out = path.join(dist, 'wasm');
  fs.mkdirSync(out, { recursive: true });
  const copied = [];
  for (const f of fs.readdirSync(src)) {
    if (f.endsWith('.wasm') || f.endsWith('.worker.js')) {
      fs.copyFileSync(path.join(src, f), path.join(out, f));
      copied.push(path.relative(root, path.join(out, f)));
    }
  }
  return copied;
}

/** `mlm launch` copies these into its bundles (train.py): dist/launch/torchrun/ beside the bundles. */
const LAUNCH_TEMPLATES = 'server/ml/launch/torchrun';
function copyLaunchTemplates() {
  const src = path.join(root, LAUNCH_TEMPLATES);
  const out = path.join(dist, 'launch', 'torchrun');
  fs.mkdirSync(out, { recursive: true });
  return fs
    .readdirSync(src)
    .filter((f) => f.endsWith('.py'))
    .map((f) => {
      fs.copyFileSync(path.join(src, f), path.join(out, f));
      return path.relative(root, path.join(out, f));
    });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
