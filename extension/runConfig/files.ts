/** Finding, picking and creating `*.mlm.json` run configs in the workspace. */
import * as vscode from 'vscode';
import { RUN_CONFIG_PRESETS, presetFileText, type RunConfigPreset } from './presets';

export const RUN_CONFIG_GLOB = '**/*.mlm.json';
/** The run-config form's view type (package.json contributes.customEditors; extension/runConfig/formEditor.ts). */
export const RUN_CONFIG_FORM_VIEW_TYPE = 'mlm.runConfigForm';

/** Opens a run config in the form (its default editor). */
export async function openRunConfigForm(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.openWith', uri, RUN_CONFIG_FORM_VIEW_TYPE);
}
const EXCLUDE = '{**/node_modules/**,**/.mlm/**,**/.git/**}';

/** Run configs of the workspace, the active editor's first. */
export async function findRunConfigs(): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles(RUN_CONFIG_GLOB, EXCLUDE, 200);
  const active = vscode.window.activeTextEditor?.document.uri.toString();
  return found.sort((a, b) => {
    if (a.toString() === active) return -1;
    if (b.toString() === active) return 1;
    return a.fsPath.localeCompare(b.fsPath);
  });
}

/** Accepts a Uri, a path string, or `{ uri }` / `{ path }` (command arguments from tests and menus). */
export function uriFromArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg)
    return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { uri?: unknown; path?: unknown };
    return uriFromArg(o.uri) ?? uriFromArg(o.path);
  }
  return undefined;
}

const NEW_FROM_PRESET = '$(add) New run configuration from a preset…';

/** Asks for a run config; offers to create one from a preset. Undefined when cancelled. */
export async function pickRunConfig(title: string): Promise<vscode.Uri | undefined> {
  const configs = await findRunConfigs();
  if (configs.length === 0) return createRunConfig({});
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const items: Item[] = configs.map((uri) => ({
    label: `$(file) ${vscode.workspace.asRelativePath(uri)}`,
    uri,
  }));
  items.push({ label: NEW_FROM_PRESET });
  const choice = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'Run configuration (*.mlm.json)',
  });
  if (!choice) return undefined;
  return choice.uri ?? createRunConfig({});
}

export interface NewRunConfigArgs {
  /** Preset id (see RUN_CONFIG_PRESETS); asked for when absent. */
  preset?: string;
  /** Target file; asked for (a name in the first workspace folder) when absent. */
  uri?: vscode.Uri | string;
  /** Open the new file in an editor (default true). */
  open?: boolean;
}

/** Writes a new `*.mlm.json` from a preset and opens it. Returns its Uri, or undefined when cancelled. */
export async function createRunConfig(args: NewRunConfigArgs): Promise<vscode.Uri | undefined> {
  const preset = args.preset ? RUN_CONFIG_PRESETS.find((p) => p.id === args.preset) : await askPreset();
  if (args.preset && !preset) {
    throw new Error(
      `Unknown run-config preset "${args.preset}". Use one of: ${RUN_CONFIG_PRESETS.map((p) => p.id).join(', ')}.`,
    );
  }
  if (!preset) return undefined;
  const target = uriFromArg(args.uri) ?? (await askTarget(preset));
  if (!target) return undefined;
  if (!target.path.endsWith('.mlm.json')) {
    throw new Error(
      `Run configuration files must end in ".mlm.json" (got ${target.fsPath}); choose another name.`,
    );
  }
  if (await exists(target)) {
    throw new Error(
      `${vscode.workspace.asRelativePath(target)} already exists; pick another name or edit that file.`,
    );
  }
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(presetFileText(preset)));
  if (args.open !== false) await openRunConfigForm(target);
  return target;
}

async function askPreset(): Promise<RunConfigPreset | undefined> {
  const choice = await vscode.window.showQuickPick(
    RUN_CONFIG_PRESETS.map((p) => ({ label: p.label, detail: p.detail, preset: p })),
    { title: 'New Run Configuration', placeHolder: 'Start from a preset' },
  );
  return choice?.preset;
}

async function askTarget(preset: RunConfigPreset): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    throw new Error(
      'Open a folder first: run configurations and training runs live in the workspace folder.',
    );
  }
  const name = await vscode.window.showInputBox({
    title: 'New Run Configuration',
    prompt: 'File name (relative to the workspace folder)',
    value: `${preset.id}.mlm.json`,
    validateInput: (v) =>
      !v.endsWith('.mlm.json')
        ? 'The name must end in .mlm.json'
        : /(^|[\\/])\.\.([\\/]|$)/.test(v)
          ? 'Stay inside the workspace'
          : undefined,
  });
  return name ? vscode.Uri.joinPath(folder.uri, name) : undefined;
}

/** True when the file or folder exists (any file system VS Code knows). */
export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Writes `config` to `<folder>/<stem>.mlm.json`, or `<stem>-2.mlm.json`, … when that exists; returns its Uri. */
export async function writeNewRunConfig(
  folder: vscode.Uri,
  stem: string,
  config: unknown,
): Promise<vscode.Uri> {
  let target = vscode.Uri.joinPath(folder, `${stem}.mlm.json`);
  for (let i = 2; await exists(target); i++) target = vscode.Uri.joinPath(folder, `${stem}-${i}.mlm.json`);
  await vscode.workspace.fs.writeFile(
    target,
    new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
  );
  return target;
}
