// A plain append-only log file per run (test/e2e/out/*.log); the console gets only the summary lines.
import fs from 'node:fs';
import path from 'node:path';

export class Log {
  constructor(readonly file: string) {
    if (file !== '/dev/null') fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  line(text: string): void {
    this.raw(`[${new Date().toISOString().slice(11, 23)}] ${text}\n`);
  }

  raw(text: string): void {
    if (text) fs.appendFileSync(this.file, text);
  }
}
