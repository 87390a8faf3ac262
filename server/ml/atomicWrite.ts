/**
 * The one guarded, atomic file writer of the ML core (checkpoints, run files, metric rows, safetensors, Hugging Face
 * exports, tokenizer files): write a temporary sibling `.tmp-<name>-<pid>`, fsync it, rename it over the target,
 * fsync the folder. A reader sees the old file or the new one, never a torn one, and a power cut cannot lose the
 * rename. On failure the temporary file is removed and the error rethrown; a full disk or quota (ENOSPC, EDQUOT)
 * becomes a DiskFullError naming the folder and the space needed. Appends (metrics.jsonl) go through
 * appendFileGuarded, which never leaves half a line. Folder publication (checkpoints) is checkpoint/atomic.ts.
 */
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../protocol/shared/units';

/**
 * The kill-anywhere test's hook (docs/reliability.md row 8): with MLM_CRASH_AT=k in the environment the process writes
 * the point's name to stderr and SIGKILLs itself at the k-th crash point it passes — mid-file and after each file,
 * before a rename, before a checkpoint's marker, during rotation. Without it (always, outside that test) a point is a
 * comparison.
 */
const CRASH_AT = Number(process.env.MLM_CRASH_AT) || 0;
let crashPoints = 0;
export function crashPoint(where: string): void {
  if (CRASH_AT > 0 && ++crashPoints === CRASH_AT) {
    fs.writeSync(2, `crash point ${CRASH_AT}: ${where}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/** The error codes of a full disk or an exhausted quota. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** True for an error of a full disk or quota (ENOSPC, EDQUOT), wrapped or not. */
export function isDiskFull(err: unknown): boolean {
  return err instanceof DiskFullError || DISK_FULL_CODES.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/** Free bytes for this process in `dir`'s file system, or undefined where it cannot be read. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** A write that failed on a full disk or quota: which folder, how much it needed, what to do. */
export class DiskFullError extends Error {
  readonly code: string;
  constructor(
    readonly folder: string,
    /** Bytes the failed write needed (at least). */
    readonly bytesNeeded: number,
    cause: NodeJS.ErrnoException,
  ) {
    const free = freeBytes(folder);
    super(
      `disk full (${cause.code ?? 'ENOSPC'}): writing to ${folder} needs about ${formatBytes(bytesNeeded)} free` +
        `${free === undefined ? '' : ` (${formatBytes(free)} free now)`}; free some space there (or raise the quota)`,
    );
    this.code = cause.code ?? 'ENOSPC';
  }
}

/** Rethrows `err`, as a DiskFullError naming `folder` and `bytes` when the disk or quota is full. */
export function rethrowGuarded(err: unknown, folder: string, bytes: number): never {
  if (isDiskFull(err) && !(err instanceof DiskFullError)) {
    throw new DiskFullError(folder, bytes, err as NodeJS.ErrnoException);
  }
  throw err;
}

/**
 * Appends `text` (or bytes) to `file`. A failed append (a full disk) is cut back to the file's old length, so the
 * file never ends in half a line or half a record; the error is rethrown (a DiskFullError when the disk or quota is full).
 */
export function appendFileGuarded(file: string, text: string | Uint8Array): void {
  const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    // a new file
  }
  try {
    fs.appendFileSync(file, data);
  } catch (err) {
    try {
      if (fs.existsSync(file)) fs.truncateSync(file, size);
    } catch {
      // nothing more to undo
    }
    rethrowGuarded(err, path.dirname(file), data.length);
  }
}

/** Prefix of temporary files and folders (a crashed writer's leftovers are recognised and removed by it). */
export const TEMP_PREFIX = '.tmp-';

const tempBeside = (file: string): string =>
  path.join(path.dirname(file), `${TEMP_PREFIX}${path.basename(file)}-${process.pid}`);

const bytesOf = (data: string | Uint8Array): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : data;

/** Writes a file and fsyncs it before returning. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const bytes = bytesOf(data);
  const fd = fs.openSync(file, 'w');
  try {
    // Two writes (the first half, then the rest), so that the kill-anywhere test can stop between them.
    const half = bytes.length >> 1;
    let done = 0;
    while (done < half) done += fs.writeSync(fd, bytes, done, half - done);
    crashPoint(`mid-file ${path.basename(file)}`);
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  crashPoint(`after file ${path.basename(file)}`);
}

/** fsyncs a directory so that renames inside it survive a power cut (a no-op where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open or fsync directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Replaces `file` atomically (temp file, fsync, rename, fsync the folder). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempBeside(file);
  try {
    writeFileDurable(tmp, data);
    crashPoint(`before rename to ${path.basename(file)}`);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    rethrowGuarded(err, path.dirname(file), bytesOf(data).length);
  }
  fsyncDir(path.dirname(file));
}

/** writeFileAtomic without blocking the thread while the bytes go to disk (large weight files). */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempBeside(file);
  try {
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(bytesOf(data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    rethrowGuarded(err, path.dirname(file), bytesOf(data).length);
  }
  fsyncDir(path.dirname(file));
}
