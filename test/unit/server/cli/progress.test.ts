import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProgressBar } from '../../../../server/cli/progress';

/** A stand-in for process.stderr that records what is written (tty or plain). */
function sink(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = {
    isTTY,
    columns: 200,
    write: (s: string) => chunks.push(s) > 0,
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

void describe('ProgressBar', () => {
  const cases: Array<{ tty: boolean; fraction: number | undefined; detail: string; want: string }> = [
    { tty: false, fraction: undefined, detail: 'reading a.txt', want: 'corpus reading a.txt\n' },
    { tty: false, fraction: undefined, detail: '', want: 'corpus\n' },
    { tty: false, fraction: 0.5, detail: 'step 5', want: 'corpus  50% step 5\n' },
    { tty: true, fraction: undefined, detail: 'reading a.txt', want: '\rcorpus reading a.txt' },
    { tty: true, fraction: 1, detail: 'x', want: `\rcorpus [${'█'.repeat(24)}] 100% x` },
  ];
  for (const c of cases) {
    void test(`tty ${c.tty}, fraction ${c.fraction}, detail "${c.detail}": single spaces`, () => {
      const s = sink(c.tty);
      new ProgressBar('corpus', s.stream, 0).update(c.fraction, c.detail);
      assert.equal(s.text(), c.want);
    });
  }
});
