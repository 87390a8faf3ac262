/**
 * One writer per run folder: whoever trains into a run (the backend's run manager, `mlm train`, a resume) holds
 * <run>/.lock, a small JSON file naming its pid, host and start time, created atomically (written aside, then
 * hard-linked into place, so no reader ever sees it half-written). A second writer is refused with the holder's pid;
 * a lock whose process is gone (killed, crashed) is taken over, under a short-lived `.lock.takeover` so that two
 * processes finding the same stale lock cannot both take it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlmError, MlmErrorCodes, type RunLockedData } from '../../protocol/errors';
import type { ResolvedRunConfig } from '../../protocol/runConfig';
import { pidAlive } from '../ml/checkpoint';
import { newRunFolder } from '../ml/checkpoint/runDir';

export const RUN_LOCK_FILE = '.lock';
const TAKEOVER_FILE = '.lock.takeover';
/** A takeover marker older than this was left by a process that died mid-takeover (which takes milliseconds). */
const TAKEOVER_STALE_MS = 10_000;

interface LockRecord {
  pid: number;
  host: string;
  since: string;
  /** Distinguishes two locks of the same pid (a lock is released only by the holder that wrote it). */
  nonce: string;
}

export interface RunLock {
  readonly runDir: string;
  /** Removes the lock if it is still this holder's. Idempotent. */
  release(): void;
}

function readLock(file: string): LockRecord | undefined | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const r = JSON.parse(text) as LockRecord;
    return Number.isInteger(r.pid) && typeof r.host === 'string' ? r : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Creates `file` with `text` only if it does not exist (EEXIST otherwise), never visible half-written. */
function createExclusive(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Is this holder certainly gone? Only a process on this host can be checked; another host's lock is kept. */
function stale(r: LockRecord): boolean {
  return r.host === os.hostname() && r.pid !== process.pid && !pidAlive(r.pid);
}

function lockedError(runDir: string, r: LockRecord): MlmError {
  const here = r.host === os.hostname();
  const who =
    r.pid === process.pid && here ? 'this process' : `process ${r.pid}${here ? '' : ` on ${r.host}`}`;
  const what = here
    ? 'stop that run first (MLM: Stop Training, or Ctrl+C in its terminal), then try again'
    : `if that process is gone, delete ${path.join(runDir, RUN_LOCK_FILE)}`;
  return new MlmError(
    MlmErrorCodes.RunLocked,
    `run folder ${runDir} is being written by ${who} (since ${r.since}): ${what}`,
    { runDir, pid: r.pid, host: r.host, since: r.since } satisfies RunLockedData,
  );
}

/** Takes the lock of runDir (which must exist) or throws RunLocked naming the live holder. */
export function lockRunDir(runDir: string): RunLock {
  const file = path.join(runDir, RUN_LOCK_FILE);
  const mine: LockRecord = {
    pid: process.pid,
    host: os.hostname(),
    since: new Date().toISOString(),
    nonce: crypto.randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      createExclusive(file, text);
      return holder(runDir, file, mine.nonce);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = readLock(file);
    if (current === undefined) continue; // released meanwhile
    if (current !== 'unreadable' && !stale(current)) throw lockedError(runDir, current);
    // Stale (or unreadable: not something a live holder leaves, since locks appear whole): take it over.
    takeOver(runDir, file, current);
  }
  throw new MlmError(
    MlmErrorCodes.RunLocked,
    `could not lock run folder ${runDir}: other processes keep taking it; try again`,
  );
}

/** Removes the stale lock `seen`, unless another process replaced it meanwhile. */
function takeOver(runDir: string, file: string, seen: LockRecord | 'unreadable'): void {
  const marker = path.join(runDir, TAKEOVER_FILE);
  try {
    fs.writeFileSync(marker, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - fs.statSync(marker).mtimeMs > TAKEOVER_STALE_MS) fs.rmSync(marker, { force: true });
    } catch {
      // gone meanwhile
    }
    return; // someone else is taking over: look again
  }
  try {
    const now = readLock(file);
    const same =
      now === 'unreadable' || now === undefined
        ? now === seen
        : seen !== 'unreadable' && now.nonce === seen.nonce && now.pid === seen.pid;
    if (same && now !== undefined) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(marker, { force: true });
  }
}

function holder(runDir: string, file: string, nonce: string): RunLock {
  let held = true;
  return {
    runDir,
    release: () => {
      if (!held) return;
      held = false;
      const now = readLock(file);
      if (now !== undefined && now !== 'unreadable' && now.nonce === nonce) fs.rmSync(file, { force: true });
    },
  };
}

/**
 * The folder a run writes, locked: a resume continues in `resumeFrom` (refused while another process writes it); a
 * new run gets a fresh folder under config.output.dir (relative to root) or <root>/.mlm/runs.
 */
export function claimRunFolder(
  config: ResolvedRunConfig,
  root: string,
  resumeFrom?: string,
): { runId: string; runDir: string; lock: RunLock } {
  if (resumeFrom) {
    const runDir = path.resolve(root, resumeFrom);
    return { runId: path.basename(runDir), runDir, lock: lockRunDir(runDir) };
  }
  const { runId, runDir } = newRunFolder(config, root);
  return { runId, runDir, lock: lockRunDir(runDir) };
}
