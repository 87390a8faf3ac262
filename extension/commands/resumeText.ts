/** The words of MLM: Resume Run… (quick-pick rows and the once-after-a-reload offer): pure, no vscode. */
import type { ResumePoint, RunInfo } from '../../protocol/training';

export type ResumableRun = RunInfo & { resume: ResumePoint };

/** Runs MLM: Resume Run… can continue: unfinished pretraining runs with a complete checkpoint, newest first. */
export function resumableRuns(runs: readonly RunInfo[]): ResumableRun[] {
  return runs.filter((r): r is ResumableRun => r.resume !== undefined && !r.active);
}

/** "3 min 20 s", "45 s", "1 h 5 min". */
export function formatLost(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

/** What resuming costs: "nothing lost" or "12 steps (~40 s) trained again". */
export function lostText(p: ResumePoint): string {
  return p.stepsLost === 0
    ? 'nothing lost'
    : `${p.stepsLost} step${p.stepsLost === 1 ? '' : 's'} (~${formatLost(p.secondsLost)}) trained again`;
}

/** One quick-pick row. */
export function resumeItem(r: ResumableRun): { label: string; description: string; detail: string } {
  const of = r.maxSteps ? ` of ${r.maxSteps}` : '';
  return {
    label: r.runId,
    description: `${r.status ?? 'unknown'} at step ${r.resume.lastStep}${of}`,
    detail: `continues from its last complete checkpoint, step ${r.resume.checkpointStep}: ${lostText(r.resume)}`,
  };
}

/** The offer shown once after a reload or crash interrupted a run. */
export function resumeOffer(r: ResumableRun): string {
  return (
    `MLM: run ${r.runId} was interrupted at step ${r.resume.lastStep}. Its last complete checkpoint is step ` +
    `${r.resume.checkpointStep} (${lostText(r.resume)}). Resume it?`
  );
}
