/**
 * Crash-safe publication of a folder: files are written into a temporary sibling folder and fsynced,
 * the folder is renamed into place, the parent fsynced, and only then the COMPLETE marker is written.
 * A folder without the marker (killed mid-save) is never used and is removed by the next writer. Single files go
 * through writeFileAtomic (server/ml/atomicWrite.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { crashPoint, fsyncDir, rethrowGuarded, TEMP_PREFIX, writeFileDurable } from '../atomicWrite';

export {
  DiskFullError,
  fsyncDir,
  isDiskFull,
  TEMP_PREFIX,
  writeFileAtomic,
  writeFileDurable,
} from '../atomicWrite';

export const COMPLETE_MARKER = 'COMPLETE';
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
    crashPoint('temporary folder made');
    for (const [name, data] of files) writeFileDurable(path.join(tmp, name), data);
    fsyncDir(tmp);
    if (fs.existsSync(finalDir)) fs.rmSync(finalDir, { recursive: true, force: true });
    crashPoint('before the folder rename');
    fs.renameSync(tmp, finalDir);
    fsyncDir(parent);
    crashPoint('before the marker');
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    let bytes = 0;
    for (const data of files.values())
      bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    rethrowGuarded(err, parent, bytes);
  }
  try {
    writeFileDurable(path.join(finalDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  } catch (err) {
    // Without its marker the folder is never used: remove it rather than leave it for the next start.
    fs.rmSync(finalDir, { recursive: true, force: true });
    rethrowGuarded(err, parent, 64);
  }
  fsyncDir(finalDir);
}

export function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, COMPLETE_MARKER));
}
