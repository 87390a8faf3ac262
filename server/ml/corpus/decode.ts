/**
 * Reading one file as text: size cap, binary detection (NUL bytes), BOM-aware decoding (UTF-8, UTF-16LE/BE), strict
 * UTF-8 validation and CRLF → LF. Every failure is a skip with a reason, never an exception.
 */
import { promises as fs } from 'node:fs';
import type { SkipReason } from './report';

export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;

export type ReadResult = { text: string; bytes: number } | { skip: SkipReason; detail: string };

/** Reads and decodes a file; `maxBytes` caps its size (default 50 MB). */
export async function readFileAsText(path: string, maxBytes = DEFAULT_MAX_FILE_BYTES): Promise<ReadResult> {
  let handle: fs.FileHandle;
  try {
    // stat first: opening a FIFO would block until a writer appears.
    const st = await fs.stat(path);
    if (!st.isFile())
      return { skip: 'unreadable', detail: st.isDirectory() ? 'is a directory' : 'not a regular file' };
    handle = await fs.open(path, 'r');
  } catch (err) {
    return skipFor(err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      return { skip: 'unreadable', detail: st.isDirectory() ? 'is a directory' : 'not a regular file' };
    if (st.size > maxBytes) return { skip: 'too-large', detail: `${st.size} bytes, cap ${maxBytes}` };
    // Read up to one byte past the cap: a file that grew since stat() is caught too.
    const buf = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) break;
    }
    if (n > maxBytes)
      return { skip: 'too-large', detail: `grew past the cap of ${maxBytes} bytes while reading` };
    return decodeBytes(buf.subarray(0, n));
  } catch (err) {
    return skipFor(err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function skipFor(err: unknown): { skip: SkipReason; detail: string } {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return { skip: 'vanished', detail: 'deleted before it could be read' };
    case 'ELOOP':
      return { skip: 'symlink-loop', detail: 'too many levels of symbolic links' };
    case 'EISDIR':
      return { skip: 'unreadable', detail: 'is a directory' };
    case 'EACCES':
    case 'EPERM':
      return { skip: 'unreadable', detail: 'permission denied' };
    default:
      return { skip: 'unreadable', detail: e.code ? `${e.code}: ${e.message}` : String(err) };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

/** Decodes file bytes: BOM → UTF-8/UTF-16; otherwise strict UTF-8. NUL bytes (outside UTF-16) mean binary. */
export function decodeBytes(bytes: Buffer): ReadResult {
  let text: string;
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  ) {
    let body = bytes.subarray(2);
    if (body.length % 2) return { skip: 'invalid-utf8', detail: 'UTF-16 text with an odd number of bytes' };
    if (bytes[0] === 0xfe) body = Buffer.from(body).swap16();
    try {
      text = utf16le.decode(body);
    } catch {
      return { skip: 'invalid-utf8', detail: 'invalid UTF-16 (unpaired surrogate)' };
    }
  } else {
    const nul = bytes.indexOf(0);
    if (nul >= 0) return { skip: 'binary', detail: `NUL byte at offset ${nul}` };
    const body =
      bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
        ? bytes.subarray(3)
        : bytes;
    try {
      text = utf8.decode(body);
    } catch {
      return { skip: 'invalid-utf8', detail: `invalid UTF-8 at byte ${firstInvalidUtf8(body)}` };
    }
  }
  if (text.indexOf('\r\n') >= 0) text = text.replace(/\r\n/g, '\n');
  return { text, bytes: bytes.length };
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (for the skip message). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n =
      c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    try {
      utf8.decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return i;
}
