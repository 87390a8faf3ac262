// The summary file .ci/test.mjs reads (path in MLM_E2E_SUMMARY) and the closing console line.
import fs from 'node:fs';

export type Summary = { passed: number; failed: number } | { skipped: true; reason: string };

let written = false;

/** Whether writeSummary() ran (an exit without it is reported as a failure by run.ts). */
export function summaryWritten(): boolean {
  return written;
}

export function writeSummary(summary: Summary): void {
  written = true;
  const file = process.env.MLM_E2E_SUMMARY;
  if (file) fs.writeFileSync(file, JSON.stringify(summary) + '\n');
  if ('skipped' in summary) process.stdout.write(`e2e: skipped — ${summary.reason}\n`);
  else process.stdout.write(`e2e: ${summary.passed} passed, ${summary.failed} failed\n`);
}
