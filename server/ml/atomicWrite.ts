/**
 * The one atomic file writer of the ML core (checkpoints, run files, safetensors, Hugging Face exports, tokenizer
 * files): write a temporary sibling `.tmp-<name>-<pid>`, fsync it, rename it over the target, fsync the folder.
 * A reader sees the old file or the new one, never a torn one, and a power cut cannot lose the rename. On failure
 * the temporary file is removed and the error rethrown. Folder publication (checkpoints) is checkpoint/atomic.ts.
 */
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';

/** Prefix of temporary files and folders (a crashed writer's leftovers are recognised and removed by it). */
export const TEMP_PREFIX = '.tmp-';

const tempBeside = (file: string): string =>
  path.join(path.dirname(file), `${TEMP_PREFIX}${path.basename(file)}-${process.pid}`);

const bytesOf = (data: string | Uint8Array): Uint8Array =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : data;

/** Writes a file and fsyncs it before returning. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, bytesOf(data));
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

/** Replaces `file` atomically (temp file, fsync, rename, fsync the folder). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tempBeside(file);
  try {
    writeFileDurable(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
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
    throw err;
  }
  fsyncDir(path.dirname(file));
}
