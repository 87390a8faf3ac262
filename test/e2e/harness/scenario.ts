// A scenario is one user-visible behaviour checked in the real workbench. The runner gives each one a
// screenshot folder, times it, catches its failure (with a last screenshot) and prints one line.
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { CodeServer } from './codeServer';
import type { Log } from './log';
import { outDir } from './paths';

export interface ScenarioContext {
  page: Page;
  server: CodeServer;
  log: Log;
  /** Saves test/e2e/out/<scenario>/<nn>-<name>.png (the page, or just `part`) and returns its path. */
  shot(name: string, part?: Locator): Promise<string>;
  /** Records a line of evidence in the scenario's notes (printed into out/<scenario>/notes.txt). */
  note(text: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioResult {
  name: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

export async function runScenario(
  scenario: Scenario,
  base: { page: Page; server: CodeServer; log: Log },
): Promise<ScenarioResult> {
  const dir = path.join(outDir, slug(scenario.name));
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  const notes: string[] = [];
  const ctx: ScenarioContext = {
    ...base,
    async shot(name, part) {
      n += 1;
      const file = path.join(dir, `${String(n).padStart(2, '0')}-${slug(name)}.png`);
      if (part) await part.screenshot({ path: file });
      else await base.page.screenshot({ path: file });
      return file;
    },
    note(text) {
      notes.push(text);
      base.log.line(`[${scenario.name}] ${text}`);
    },
  };
  const t0 = Date.now();
  base.log.line(`scenario start: ${scenario.name}`);
  let result: ScenarioResult;
  try {
    await scenario.run(ctx);
    result = { name: scenario.name, ok: true, seconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    await ctx.shot('failure').catch(() => '');
    notes.push(`FAILED: ${message}`);
    result = {
      name: scenario.name,
      ok: false,
      seconds: (Date.now() - t0) / 1000,
      error: firstLines(message, 6),
    };
  }
  fs.writeFileSync(path.join(dir, 'notes.txt'), notes.join('\n') + '\n');
  base.log.line(
    `scenario ${result.ok ? 'passed' : 'FAILED'}: ${scenario.name} (${result.seconds.toFixed(1)} s)`,
  );
  return result;
}

export function printResult(r: ScenarioResult): void {
  const mark = r.ok ? '✓' : '✗';
  process.stdout.write(`  ${mark} ${r.name} (${r.seconds.toFixed(1)} s)\n`);
  if (r.error) process.stdout.write(`${r.error.replace(/^/gm, '      ')}\n`);
}

function firstLines(text: string, n: number): string {
  return text.split('\n').slice(0, n).join('\n');
}
