// Samples the status item in the background and keeps every distinct "$(icon) text" in order, so a
// scenario can check the sequence it went through (idle → step … → idle) after the fact.
import type { Locator } from 'playwright-core';
import { statusText } from '../harness/workbench';

export class StatusRecorder {
  private readonly seen: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly item: Locator,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.sample();
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  /** A position in the sequence, for since(). */
  mark(): number {
    return this.seen.length;
  }

  /** The distinct texts seen after mark(), oldest first. */
  since(mark: number): string[] {
    return this.seen.slice(mark);
  }

  /** Stops sampling, takes one last sample (the state the caller just waited for) and returns the texts. */
  async stop(): Promise<string[]> {
    this.running = false;
    await this.loop;
    await this.sample();
    return [...this.seen];
  }

  private async sample(): Promise<void> {
    const text = await statusText(this.item).catch(() => '');
    if (text && text !== this.seen[this.seen.length - 1]) this.seen.push(text);
  }
}
