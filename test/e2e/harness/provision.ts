// Provisions the e2e tier's tools: Debian chromium (+ libkrb5-dev and ripgrep that code-server's install
// needs) through apt when running as root, code-server 4.100.3 into a cache folder outside the project's
// node_modules, and playwright-core (a devDependency). See docs/e2e.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheRoot, chromiumPath, codeServerDir, codeServerVersion } from './paths';
import { Log } from './log';

export type Provisioned = { ok: true; codeServerEntry: string } | { ok: false; reason: string };

/** The ripgrep release @vscode/ripgrep 1.15.11 (code-server 4.100.3's) would download from GitHub. */
const ripgrepCacheDir = 'vscode-ripgrep-cache-1.15.11';
const ripgrepAsset = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
const aptPackages = ['chromium', 'libkrb5-dev', 'ripgrep'];

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(log: Log, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  log.line(`$ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  log.raw(r.stdout ?? '');
  log.raw(r.stderr ?? '');
  return { ok: r.status === 0, status: r.status, stderr: r.stderr ?? '', error: r.error };
}

/** Which of the system tools are missing. libkrb5-dev only matters while code-server is not installed. */
function missingSystemTools(needKrb5: boolean): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(chromiumPath)) missing.push('chromium');
  if (!onPath('rg')) missing.push('ripgrep');
  if (needKrb5 && !onPath('krb5-config')) missing.push('libkrb5-dev');
  return missing;
}

function codeServerInstalled(): string | undefined {
  const entry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const complete = path.join(codeServerDir, '.complete');
  return fs.existsSync(entry) && fs.existsSync(complete) ? entry : undefined;
}

function installSystemTools(log: Log, missing: string[]): string | undefined {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get'))
    return `${missing.join(', ')} missing and cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}); install them with apt (${aptPackages.join(' ')})`;
  const script =
    'export DEBIAN_FRONTEND=noninteractive; ' +
    `apt-get install -y -qq --no-install-recommends ${aptPackages.join(' ')} || ` +
    `{ apt-get update -qq && apt-get install -y -qq --no-install-recommends ${aptPackages.join(' ')}; }`;
  const r = run(log, 'flock', ['/tmp/apt.lock', 'sh', '-c', script]);
  if (!r.ok) return `apt-get install ${aptPackages.join(' ')} failed (exit ${r.status}); see ${log.file}`;
  const still = missingSystemTools(true);
  return still.length
    ? `${still.join(', ')} still missing after apt-get install (chromium is looked for at ${chromiumPath}; MLM_E2E_CHROMIUM overrides it)`
    : undefined;
}

/**
 * Installs code-server into codeServerDir (under an flock so that parallel runs do not collide):
 * seeds @vscode/ripgrep's download cache with Debian's rg, then npm install with the two settings its
 * postinstall scripts need (unsafe_perm as root, yes for node-pty's npx node-gyp without a TTY).
 */
function installCodeServer(log: Log): string | undefined {
  fs.mkdirSync(cacheRoot, { recursive: true });
  const tmp = path.join(cacheRoot, 'tmp');
  const rgCache = path.join(tmp, ripgrepCacheDir);
  const rgStage = path.join(cacheRoot, 'rg');
  fs.mkdirSync(rgCache, { recursive: true });
  fs.mkdirSync(rgStage, { recursive: true });
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  fs.copyFileSync(rg, path.join(rgStage, 'rg'));
  fs.chmodSync(path.join(rgStage, 'rg'), 0o755);
  const tar = run(log, 'tar', ['czf', path.join(rgCache, ripgrepAsset), '-C', rgStage, 'rg']);
  if (!tar.ok) return `could not seed the ripgrep cache (tar exit ${tar.status}); see ${log.file}`;

  fs.rmSync(codeServerDir, { recursive: true, force: true });
  fs.mkdirSync(codeServerDir, { recursive: true });
  fs.writeFileSync(
    path.join(codeServerDir, 'package.json'),
    JSON.stringify({ name: 'mlm-studio-e2e-tools', private: true }, null, 2),
  );
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const r = run(log, 'npm', ['install', '--no-save', `code-server@${codeServerVersion}`], {
    cwd: codeServerDir,
    env,
  });
  if (!r.ok) return `npm install code-server@${codeServerVersion} failed (exit ${r.status}); see ${log.file}`;
  fs.writeFileSync(path.join(codeServerDir, '.complete'), new Date().toISOString() + '\n');
  return undefined;
}

export function provision(log: Log): Provisioned {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 20)
    return {
      ok: false,
      reason: `code-server ${codeServerVersion} needs Node 20, this is Node ${process.versions.node}`,
    };
  try {
    require.resolve('playwright-core');
  } catch {
    return { ok: false, reason: 'playwright-core is not installed; run npm install (it is a devDependency)' };
  }

  const missing = missingSystemTools(!codeServerInstalled());
  if (missing.length) {
    log.line(`missing system tools: ${missing.join(', ')}`);
    const why = installSystemTools(log, missing);
    if (why) return { ok: false, reason: why };
  }

  let entry = codeServerInstalled();
  if (!entry) {
    // Serialise installs of the cache folder between parallel runs: re-check under the lock.
    fs.mkdirSync(cacheRoot, { recursive: true });
    const lock = path.join(cacheRoot, 'install.lock');
    const t0 = Date.now();
    log.line(`installing code-server ${codeServerVersion} into ${codeServerDir}`);
    const r = spawnSync(
      'flock',
      [lock, process.execPath, '--import', 'tsx', path.join(__dirname, 'installCodeServer.ts')],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, MLM_E2E_PROVISION_LOG: log.file } },
    );
    if (r.status !== 0)
      return { ok: false, reason: `code-server install failed (exit ${r.status}); see ${log.file}` };
    entry = codeServerInstalled();
    if (!entry) return { ok: false, reason: `code-server install left no entry point in ${codeServerDir}` };
    log.line(`code-server installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { ok: true, codeServerEntry: entry };
}

/** Runs under the flock (installCodeServer.ts): installs unless another run finished it meanwhile. */
export function installUnderLock(log: Log): number {
  if (codeServerInstalled()) return 0;
  const why = installCodeServer(log);
  if (why) {
    process.stderr.write(`${why}\n`);
    return 1;
  }
  return 0;
}
