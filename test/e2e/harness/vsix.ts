// Packages the extension as a .vsix the way a user gets it: `npm run package` when the project has that
// script (it builds and runs vsce offline), else a build plus `vsce package --no-dependencies` directly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';
import type { Log } from './log';

function run(log: Log, cmd: string, args: string[]): void {
  log.line(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  log.raw(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${tail}`);
  }
}

/**
 * Builds the bundles and the .vsix into `outFile` and returns its path. MLM_E2E_VSIX=<file> uses a
 * ready-made package instead (e.g. one from a release job).
 */
export function packageExtension(log: Log, outFile: string): string {
  const ready = process.env.MLM_E2E_VSIX;
  if (ready) {
    if (!fs.existsSync(ready)) throw new Error(`MLM_E2E_VSIX=${ready} does not exist; unset it to package`);
    log.line(`using the ready-made package ${ready} (MLM_E2E_VSIX)`);
    return ready;
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(outFile, { force: true });
  run(log, process.execPath, ['.ci/build.mjs']);
  if (pkg.scripts?.package) {
    // `npm run package -- -o <file>` hands the output path to vsce (the script's last command).
    run(log, 'npm', ['run', 'package', '--', '-o', outFile]);
  } else {
    run(log, 'npx', [
      'vsce',
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '-o',
      outFile,
    ]);
  }
  if (!fs.existsSync(outFile)) throw new Error(`packaging reported success but wrote no ${outFile}`);
  return outFile;
}
