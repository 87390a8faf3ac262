/**
 * A one-line progress bar for the CLI. On a terminal it redraws in place (stderr); elsewhere it prints
 * a plain line at most every `plainEveryMs` so logs stay readable.
 */
/** The non-empty parts separated by one space (no double space when the fraction is unknown). */
const joinParts = (...parts: string[]): string => parts.filter((p) => p !== '').join(' ');

export class ProgressBar {
  private lastPlain = 0;
  private lastWidth = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 5000,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  /** fraction in [0, 1] or undefined when the total is unknown; detail is shown after the bar. */
  update(fraction: number | undefined, detail = ''): void {
    const pct =
      fraction === undefined ? '' : `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(0).padStart(3)}%`;
    if (this.tty) {
      const width = 24;
      const filled = fraction === undefined ? 0 : Math.round(Math.min(1, Math.max(0, fraction)) * width);
      const bar = fraction === undefined ? '' : `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
      const line = joinParts(this.label, bar, pct, detail).slice(0, (this.stream.columns || 120) - 1);
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastWidth - line.length))}`);
      this.lastWidth = line.length;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= this.plainEveryMs || fraction === 1) {
      this.lastPlain = now;
      this.stream.write(`${joinParts(this.label, pct, detail)}\n`);
    }
  }

  /** Ends the bar, leaving the final line visible. */
  done(detail = ''): void {
    if (this.tty) this.stream.write(`\r${' '.repeat(this.lastWidth)}\r`);
    this.stream.write(`${this.label} done${detail ? ` ${detail}` : ''}\n`);
  }
}
