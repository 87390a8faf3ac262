// Where the e2e tier keeps its tools, its output and its temporary folders.
import os from 'node:os';
import path from 'node:path';

/** The repository root (test/e2e/harness → ../../..). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The code-server version the harness installs (4.100.3 bundles VS Code 1.100.3 and runs on Node 20). */
export const codeServerVersion = '4.100.3';

/** Tool cache outside the project's node_modules, reused between runs. MLM_E2E_CACHE overrides it. */
export const cacheRoot = process.env.MLM_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'mlm-studio-e2e');

export const codeServerDir = path.join(cacheRoot, `code-server-${codeServerVersion}`);

/** Screenshots and logs a person reads after the run (gitignored). */
export const outDir = path.join(repoRoot, 'test', 'e2e', 'out');

/** The fixture workspace; every code-server start gets its own copy. */
export const fixtureWorkspace = path.join(repoRoot, 'test', 'fixtures', 'e2e-workspace');

/** The extension's identifier (publisher.name from package.json). */
export const extensionId = 'mlm-studio.mlm-studio';

export const chromiumPath = process.env.MLM_E2E_CHROMIUM ?? '/usr/bin/chromium';
