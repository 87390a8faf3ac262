// Playwright helpers for the VS Code workbench served by code-server: command palette, quick open,
// status bar, editors, hovers (DOM Range technique), the dashboard webview's nested iframes.
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { extensionId } from './paths';

/** The status bar item's DOM id is `<publisher>.<name>.<itemId>`; innerText drops the codicon. */
export function statusItem(page: Page, itemId: string): Locator {
  return page.locator(`[id="${extensionId}.${itemId}"]`);
}

export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
}

/**
 * The status item as the extension wrote it: "$(icon) text", e.g. "$(chip) wasm · 2 cores" or
 * "$(loading~spin) MLM restarting…" (innerText alone drops the codicon, which tells idle from error).
 */
export async function statusText(item: Locator): Promise<string> {
  return item.evaluate((el) => {
    const icon = el.querySelector('.codicon');
    const names = icon ? Array.from(icon.classList).filter((c) => c.startsWith('codicon-')) : [];
    const name = names.find((c) => c !== 'codicon-modifier-spin')?.slice('codicon-'.length);
    const spin = names.includes('codicon-modifier-spin') ? '~spin' : '';
    const text = (el as HTMLElement).innerText.replace(/\s+/g, ' ').trim();
    return name ? `$(${name}${spin}) ${text}` : text;
  });
}

/** Text of a locator with codicons and surrounding whitespace removed. */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * F1, type the command's title, click the row whose label is exactly it. The palette computes its list
 * when it opens (commands appear as the extension registers them and context keys settle), so a palette
 * without the row is closed and opened again until `timeoutMs`.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) })
    .first();
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${title}`);
    const left = end - Date.now();
    try {
      await row.waitFor({ timeout: Math.max(500, Math.min(3_000, left)) });
      await row.click();
      return;
    } catch (err) {
      if (Date.now() >= end) throw new Error(`the command palette offers no "${title}": ${String(err)}`);
    }
  }
}

/**
 * Runs a command that asks with a quick pick and picks the row containing `rowText`. A quick pick closes
 * when focus moves (a webview updating beside it can take focus), so a pick that vanished before the row
 * could be clicked is asked for again, until `timeoutMs`.
 */
export async function runCommandAndPick(
  page: Page,
  title: string,
  rowText: string,
  opts: { timeoutMs?: number; beforePick?: () => Promise<unknown> } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const end = Date.now() + timeoutMs;
  const row = quickPickRows(page).filter({ hasText: rowText }).first();
  for (;;) {
    await runCommand(page, title, Math.max(1_000, end - Date.now()));
    try {
      await row.waitFor({ timeout: 5_000 });
      await opts.beforePick?.();
      await row.click({ timeout: 5_000 });
      return;
    } catch (err) {
      if (Date.now() >= end) throw new Error(`"${title}" offered no "${rowText}" to pick: ${String(err)}`);
    }
  }
}

/**
 * After a failed scenario: closes quick inputs and, when a run is still going (the palette offers
 * Stop Training only then), stops it so that the next scenarios start from an idle backend.
 */
export async function recoverWorkbench(page: Page, stopTitle: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await runCommand(page, stopTitle, 2_000).catch(() => page.keyboard.press('Escape'));
}

/** Rows currently shown by the quick input (command palette, quick pick). */
export function quickPickRows(page: Page): Locator {
  return page.locator('.quick-input-widget:not(.hidden) .monaco-list-row');
}

/** Ctrl+P, type the file name, open the first match; resolves once its tab is active. */
export async function openFile(page: Page, fileName: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(fileName);
  const row = quickPickRows(page).filter({ hasText: fileName }).first();
  await row.waitFor({ timeout: 15_000 });
  // Click the matching row: Enter opens whichever row is focused, which can still be a recently opened file
  // while the list refreshes (it opened comments.txt for mask.txt once).
  await row.click();
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 15_000 });
}

/** Visible lines of the active editor. */
export function editorLines(page: Page): Locator {
  return page.locator('.editor-group-container.active .editor-instance .monaco-editor .view-line');
}

/** The visible hover widget. */
export function hoverWidget(page: Page): Locator {
  return page.locator('.monaco-hover:not(.hidden)');
}

/**
 * Hovers the first occurrence of `word` in the active editor. In plain text a whole line is one span,
 * so the word's rectangle comes from a DOM Range; the mouse goes near it first, then onto it in steps.
 */
export async function hoverWord(page: Page, word: string): Promise<void> {
  const box = await page.evaluate((w) => {
    const lines = document.querySelectorAll(
      '.editor-group-container.active .editor-instance .monaco-editor .view-line',
    );
    for (const line of Array.from(lines)) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = (n.textContent ?? '').replace(/\u00a0/g, ' ');
        const at = text.indexOf(w);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(n, at);
        range.setEnd(n, at + w.length);
        const r = range.getBoundingClientRect();
        return { x: r.left, y: r.top, width: r.width, height: r.height };
      }
    }
    return null;
  }, word);
  if (!box) throw new Error(`"${word}" is not visible in the active editor`);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy + 60);
  await page.mouse.move(cx, cy, { steps: 5 });
}

/**
 * Hovers `word` again and again (a hover needs the mouse to arrive, and the provider may not be ready) until a
 * visible hover matching `hover` shows, or `timeoutMs` passes; `what` names it in the error.
 */
export async function hoverUntilShown(
  page: Page,
  word: string,
  hover: Locator,
  timeoutMs: number,
  what: string,
): Promise<void> {
  await until(
    async () => {
      await hoverWord(page, word);
      await hover.first().waitFor({ timeout: 3_000 });
      return true;
    },
    (ok) => ok,
    timeoutMs,
    what,
    { intervalMs: 500 },
  );
}

/** The dashboard's HTML: the webview's two nested iframes. */
export function webview(page: Page): FrameLocator {
  return page
    .frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`)
    .frameLocator('iframe#active-frame');
}

/** Closes every editor, discarding unsaved changes. */
export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
  if (await dontSave.isVisible().catch(() => false)) await dontSave.click();
  await page.keyboard.press('Escape');
}

export interface UntilOptions<T> {
  intervalMs?: number;
  /** A reason to give up at once (e.g. the run failed), or undefined to keep waiting. */
  fail?: (value: T | undefined) => string | undefined | Promise<string | undefined>;
}

/** Polls `read()` until `accept(value)`; returns the accepted value or throws with the last one seen. */
export async function until<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  what: string,
  opts: UntilOptions<T> = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    const failure = await opts.fail?.(last);
    if (failure) throw new Error(`while waiting for ${what}: ${failure}`);
    if (Date.now() > end) {
      const seen =
        last !== undefined
          ? `; last seen: ${JSON.stringify(last)}`
          : lastError
            ? `; ${String(lastError)}`
            : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
