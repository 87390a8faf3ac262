/**
 * Surprise-lens cost (docs/benchmarks.md, issue #17; goal: incremental update p95 ≤ 100 ms, hovers still ≤ 20 ms
 * p95): the BUILT backend (dist/server.js) with the model of a W1-sized run (mini preset, seq 128) trained briefly on
 * the bundled sample corpus (then stopped, so the model stays the same) while a second backend trains that run on the
 * same cores; the lens scores a 2,000-word document (paragraphs of the sample corpus) with the run's last checkpoint.
 * Measured: one full pass (mlm/surprise over the whole document, nothing cached), then per-keystroke updates (one word
 * of one paragraph changed, then mlm/surprise: only that passage is scored again), and hover round trips on a [MASK]
 * issued while a full pass is running (every hover on a new document version). */
import fs from 'node:fs';
import path from 'node:path';
import type { SurpriseRequest } from '../../protocol/surprise';
import { stopServer } from '../protocol/harness';
import { HOVER_RUN, startTrainingBackend, stopAndSettle } from './hoverLatency';
import { fmt, type Reporter } from './report';
import { quantile } from './stats';

export interface LensOptions {
  words: number;
  edits: number;
}

export const LENS_DEFAULTS: LensOptions = { words: 2000, edits: 30 };

const MASKED = 'The farmers met every week to [MASK] grain, wool and cattle before the long winter came.';

/** `words` words of the sample corpus's prose, in paragraphs of about 60 words. */
function documentOf(ws: string, words: number): string {
  const dir = path.join(ws, 'en');
  const text = fs
    .readdirSync(dir)
    .sort()
    .slice(0, 3)
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join(' ');
  const all = text.split(/\s+/).filter((w) => /[A-Za-z]/.test(w));
  const chosen = all.slice(200, 200 + words);
  const paras: string[] = [];
  for (let i = 0; i < chosen.length; i += 60) paras.push(chosen.slice(i, i + 60).join(' '));
  return paras.join('\n\n');
}

export async function runLens(opts: LensOptions, out: Reporter): Promise<void> {
  const { s, ws, run } = await startTrainingBackend();
  let trainer: Awaited<ReturnType<typeof startTrainingBackend>> | undefined;
  try {
    // A training run publishes a checkpoint every 2 steps and the backend reloads the model at most every 2 s; each
    // reload is a new model, whose scores the lens computes afresh. To measure the lens's own incremental cost the
    // run is stopped once it has published a model: its final checkpoint is the model of the measured window.
    await stopAndSettle(s, run);
    // "While a run trains": a second backend trains the same run on the same cores (its own process, like a
    // second window's backend), so the measured backend's model stays the one loaded.
    trainer = await startTrainingBackend();
    let text = documentOf(ws, opts.words);
    const uri = `file://${path.join(ws, 'lens.txt')}`;
    const maskUri = `file://${path.join(ws, 'mask.txt')}`;
    let version = 1;
    let maskVersion = 1;
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'plaintext', version, text },
    });
    await s.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri: maskUri, languageId: 'plaintext', version: maskVersion, text: MASKED },
    });
    const surprise = () =>
      s.conn.sendRequest<SurpriseRequest.Result>('mlm/surprise', { textDocument: { uri } });
    const hover = async (): Promise<number> => {
      await s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri: maskUri, version: ++maskVersion },
        contentChanges: [{ text: MASKED }],
      });
      const t0 = performance.now();
      await s.conn.sendRequest('textDocument/hover', {
        textDocument: { uri: maskUri },
        position: { line: 0, character: MASKED.indexOf('[MASK]') + 2 },
      });
      return performance.now() - t0;
    };
    await hover(); // warm-up

    // Full pass, with hovers issued one after another while it runs.
    const hovers: number[] = [];
    const t0 = performance.now();
    let done = false;
    const full = surprise().finally(() => (done = true));
    while (!done) hovers.push(await hover());
    const first = await full;
    const fullMs = performance.now() - t0;
    const words = first.words.length;

    // Keystrokes: change one word of one paragraph, then ask again (the client sends its request after its pause).
    const paragraphs = text.split('\n\n');
    const edits: number[] = [];
    const recomputed: number[] = [];
    for (let i = 0; i < opts.edits; i++) {
      const p = (i * 7) % paragraphs.length;
      paragraphs[p] = paragraphs[p].replace(
        /\b(\w)(\w*)/,
        (_m, a: string, b: string) => `${a === 'x' ? 'y' : 'x'}${b}`,
      );
      text = paragraphs.join('\n\n');
      await s.conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: ++version },
        contentChanges: [{ text }],
      });
      const e0 = performance.now();
      const r = await surprise();
      edits.push(performance.now() - e0);
      recomputed.push(r.computed);
    }
    out.record({
      workload: 'lens',
      system: 'ours',
      metric: 'lens_full_pass',
      value: fullMs,
      unit: 'ms',
      words,
      passages: first.computed,
      run: HOVER_RUN,
    });
    out.record({
      workload: 'lens',
      system: 'ours',
      metric: 'lens_incremental_p50',
      value: quantile(edits, 0.5),
      unit: 'ms',
      p95: quantile(edits, 0.95),
      samples: edits,
      passagesRescored: recomputed,
    });
    out.record({
      workload: 'lens',
      system: 'ours',
      metric: 'hover_during_lens_p50',
      value: quantile(hovers, 0.5),
      unit: 'ms',
      p95: quantile(hovers, 0.95),
      samples: hovers,
    });
    out.row([
      'lens',
      `full pass, ${words} words (${first.computed} passages) ms`,
      fmt(fullMs),
      '—',
      'mini model, wasm, 1 thread',
    ]);
    out.row([
      'lens',
      'per-keystroke update p50 / p95 ms',
      `${fmt(quantile(edits, 0.5))} / ${fmt(quantile(edits, 0.95))}`,
      '—',
      `goal p95 ≤ 100 ms; ${edits.length} edits, ${Math.max(...recomputed)} passage(s) re-scored each`,
    ]);
    out.row([
      'lens',
      'hover round trip during a full pass p50 / p95 ms',
      `${fmt(quantile(hovers, 0.5))} / ${fmt(quantile(hovers, 0.95))}`,
      '—',
      `goal p95 ≤ 20 ms; ${hovers.length} hovers`,
    ]);
  } finally {
    await stopServer(s);
    fs.rmSync(ws, { recursive: true, force: true });
    if (trainer) {
      await stopServer(trainer.s);
      fs.rmSync(trainer.ws, { recursive: true, force: true });
    }
  }
}
