// ESLint flat config. The per-folder `no-restricted-imports` rules keep the arrows one way:
// extension → protocol ← server → server/ml, and media (webview) → protocol only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const group = (group, message) => ({ group, message });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'out/**',
      'test/e2e/out/**',
      'test/fixtures/**',
      '.mlm/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { maxDepth: 4 }],
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: restrict([
      group(['**/extension/**', '**/server/**', '**/media/**'], 'protocol/ imports nothing of ours.'),
      group(
        ['vscode', 'vscode-languageserver*', 'vscode-languageclient*'],
        'protocol/ is transport-neutral.',
      ),
    ]),
  },
  {
    files: ['protocol/shared/**/*.ts'],
    rules: restrict([
      group(
        ['../*', '!../shared', 'vscode-jsonrpc*', 'ajv', '**/*.json'],
        'protocol/shared/ is the type-only part server/ml imports: pure types and helpers, nothing outside it.',
      ),
    ]),
  },
  {
    files: ['extension/**/*.ts'],
    rules: restrict([
      group(['**/server/**', '**/media/**'], 'extension/ talks to the backend only through protocol/.'),
      group(
        ['vscode-languageserver', 'vscode-languageserver/*', '@tensorflow/*'],
        'no backend code in the extension host.',
      ),
      group(
        ['fs', 'fs/*', 'node:fs', 'node:fs/*'],
        'the extension reads nothing from disk itself: runs, metrics, checkpoints and configs come over the protocol (mlm/runs, mlm/runMetrics, mlm/runDetails), since the backend may be on another machine.',
      ),
    ]),
  },
  {
    // vscode.workspace.fs only for the *.mlm.json run configurations the user edits (extension/runConfig/) and the
    // dashboard's CSV export, which writes the file the user picked in a save dialog (it reads nothing).
    files: ['extension/**/*.ts'],
    ignores: ['extension/runConfig/**', 'extension/dashboard/exportCsv.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='fs'][object.property.name='workspace']",
          message:
            'the extension reads no run files: ask the backend (mlm/runs, mlm/runMetrics, mlm/runDetails); workspace.fs is for run configurations (extension/runConfig/).',
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts'],
    ignores: ['server/ml/**'],
    rules: {
      ...restrict([
        group(
          ['vscode', '**/extension/**', '**/media/**'],
          'server/ never imports VS Code or the extension.',
        ),
      ]),
      'no-console': 'error',
    },
  },
  {
    files: ['server/app/**/*.ts'],
    rules: {
      ...restrict([
        group(
          ['vscode', '**/extension/**', '**/media/**'],
          'server/ never imports VS Code or the extension.',
        ),
        group(
          ['../rpc/**', 'vscode-languageserver*', 'vscode-jsonrpc*'],
          'server/app/ is the server state: it knows nothing of JSON-RPC (server/rpc/ maps it to messages).',
        ),
      ]),
      'no-console': 'error',
    },
  },
  {
    files: ['server/ml/**/*.ts'],
    rules: {
      ...restrict([
        group(
          ['vscode', 'vscode-*', '**/extension/**', '**/media/**'],
          'server/ml/ knows nothing about VS Code or JSON-RPC.',
        ),
        group(
          ['**/protocol/*', '!**/protocol/runConfig*', '!**/protocol/shared', '**/protocol/shared/*/**'],
          'server/ml/ may only use the type-only part of protocol/ (protocol/shared/*) and the run config (protocol/runConfig*).',
        ),
        group(
          [
            '**/server/app/**',
            '**/server/rpc/**',
            '**/worker/**',
            '**/cli/**',
            '**/server/main*',
            '../../app/**',
            '../../rpc/**',
            '../app/**',
            '../rpc/**',
            '../main*',
          ],
          'server/ml/ reports through callbacks; it never imports the server.',
        ),
      ]),
      'no-console': 'error',
    },
  },
  {
    files: ['media/**/*.ts'],
    rules: restrict([
      group(
        ['vscode', 'vscode-*', '**/extension/**', '**/server/**', '@tensorflow/*'],
        'media/ is browser code: it talks to the extension by postMessage only.',
      ),
    ]),
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
