/** Helpers for the extension-host suite: event waits with deadlines (no sleeps), the extension's API, paths. */
import * as vscode from 'vscode';
import type { MlmStudioApi } from '../../../extension/api';

export const EXTENSION_ID = 'mlm-studio.mlm-studio';

export async function activateExtension(): Promise<{
  ext: vscode.Extension<MlmStudioApi>;
  api: MlmStudioApi;
}> {
  const ext = vscode.extensions.getExtension<MlmStudioApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this extension host`);
  const api = await ext.activate();
  return { ext, api };
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs the fixture workspace (test/fixtures/e2e-workspace) open');
  return folder.uri;
}

export const inWorkspace = (...parts: string[]): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), ...parts);

/** Resolves with the first event that satisfies `accept`, or rejects after `ms` naming what it waited for. */
export function nextEvent<T>(
  event: vscode.Event<T>,
  accept: (e: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`));
    }, ms);
    const sub = event((e) => {
      if (!accept(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

/**
 * Re-checks `probe` whenever one of `events` fires (and every 250 ms for state that has no event, such as the
 * webview's tab) until it returns a value; rejects after `ms`.
 */
export function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  what: string,
  events: Array<vscode.Event<unknown>> = [],
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const subs: vscode.Disposable[] = [];
    const finish = (err: Error | undefined, value?: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(tick);
      for (const s of subs) s.dispose();
      if (err) reject(err);
      else resolve(value as T);
    };
    const check = async (): Promise<void> => {
      try {
        const v = await probe();
        if (v !== undefined && v !== false) finish(undefined, v);
      } catch (err) {
        finish(err as Error);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)),
      ms,
    );
    const tick = setInterval(() => void check(), 250);
    for (const e of events) subs.push(e(() => void check()));
    void check();
  });
}

/** The hover texts the registered providers return at `position` (vscode.executeHoverProvider). */
export async function hoverTexts(uri: vscode.Uri, position: vscode.Position): Promise<string[]> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
    'vscode.executeHoverProvider',
    uri,
    position,
  );
  return (hovers ?? []).flatMap((h) =>
    h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : String(c))),
  );
}

/** Waits for a hover on [MASK] at `position` that lists predictions (links to mlm.replaceMask); its text. */
export async function predictionHover(
  uri: vscode.Uri,
  position: vscode.Position,
  what: string,
): Promise<string> {
  await vscode.window.showTextDocument(uri);
  return until(
    async () => {
      const t = (await hoverTexts(uri, position)).join('\n');
      return t.includes('command:mlm.replaceMask') && t;
    },
    30_000,
    what,
  );
}
