/**
 * Crash-safe publication of a folder: files are written into a temporary sibling folder and fsynced,
 * the folder is renamed into place, the parent fsynced, and only then the COMPLETE marker is written.
 * A folder without the marker (killed mid-save) is never used and is removed by the next writer.
 */
import fs from 'node:fs';
import path from 'node:path';

export const COMPLETE_MARKER = 'COMPLETE';
export const TEMP_PREFIX = '.tmp-';

/** Writes a file and fsyncs it before returning. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
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

/** Replaces `file` atomically: write a temp file beside it, fsync, rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `${TEMP_PREFIX}${path.basename(file)}-${process.pid}`);
  writeFileDurable(tmp, data);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/**
 * Publishes `files` as the folder `finalDir`. If anything fails, the temporary folder is removed and
 * the error rethrown; an existing `finalDir` is replaced only once the new one is complete.
 */
export function publishDir(finalDir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  const parent = path.dirname(finalDir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `${TEMP_PREFIX}${path.basename(finalDir)}-${process.pid}-${Date.now()}`);
  try {
    fs.mkdirSync(tmp);
    for (const [name, data] of files) writeFileDurable(path.join(tmp, name), data);
    fsyncDir(tmp);
    if (fs.existsSync(finalDir)) fs.rmSync(finalDir, { recursive: true, force: true });
    fs.renameSync(tmp, finalDir);
    fsyncDir(parent);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  writeFileDurable(path.join(finalDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  fsyncDir(finalDir);
}

export function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, COMPLETE_MARKER));
}
