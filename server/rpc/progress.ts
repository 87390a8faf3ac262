/**
 * Turns the app state's progress events into standard `$/progress` (server-initiated work-done progress) — one progress
 * per key ('corpus' indexing, 'run' preparation). Clients without window.workDoneProgress get nothing.
 */
import type { Connection, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { ProgressKey, ProgressUpdate } from '../app/appState';

const TITLES: Record<ProgressKey, string> = {
  corpus: 'MLM: indexing the corpus',
  run: 'MLM: preparing the run',
};

export class ProgressBridge {
  private readonly open = new Map<ProgressKey, Promise<WorkDoneProgressServerReporter | undefined>>();

  constructor(
    private readonly connection: Connection,
    private readonly supported: () => boolean,
  ) {}

  update(key: ProgressKey, p: ProgressUpdate): void {
    if (!this.supported()) return;
    const existing = this.open.get(key);
    if (!p) {
      if (!existing) return;
      this.open.delete(key);
      void existing.then((r) => r?.done());
      return;
    }
    const pct = p.fraction === undefined ? undefined : Math.round(p.fraction * 100);
    if (existing) {
      void existing.then((r) => (pct === undefined ? r?.report(p.message) : r?.report(pct, p.message)));
      return;
    }
    const created = this.connection.window.createWorkDoneProgress().then(
      (r) => {
        r.begin(TITLES[key], pct, p.message);
        return r;
      },
      () => undefined,
    );
    this.open.set(key, created);
  }

  dispose(): void {
    for (const p of this.open.values()) void p.then((r) => r?.done());
    this.open.clear();
  }
}
