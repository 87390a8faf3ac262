/**
 * Client-initiated work-done progress of one request (`workDoneToken` in its params): `$/progress` begin (cancellable:
 * cancelling the request stops the work), reports with a percentage, and end. Without a token it sends nothing.
 */
import { WorkDoneProgress, type Connection } from 'vscode-languageserver';

export interface WorkDoneReporter {
  report(message: string, fraction?: number): void;
  /** Ends the progress (once begun). */
  end(): void;
}

/** Reports at most every `minMs` (the first report and every full one go at once). */
export function workDoneReporter(
  connection: Connection,
  token: string | number | undefined,
  title: string,
  minMs = 100,
): WorkDoneReporter {
  let begun = false;
  let last = 0;
  return {
    report: (message, fraction) => {
      if (token === undefined) return;
      const now = Date.now();
      if (begun && now - last < minMs && fraction !== 1) return;
      last = now;
      const percentage = fraction === undefined ? undefined : Math.round(fraction * 100);
      void connection.sendProgress(
        WorkDoneProgress.type,
        token,
        begun
          ? { kind: 'report', percentage, message }
          : { kind: 'begin', title, cancellable: true, percentage, message },
      );
      begun = true;
    },
    end: () => {
      if (token !== undefined && begun)
        void connection.sendProgress(WorkDoneProgress.type, token, { kind: 'end' });
    },
  };
}
