/**
 * A JSON-RPC message reader for byte streams (stdio, sockets) that survives bad input: a header block without a
 * usable Content-Length is dropped and the reader resynchronises on the next "Content-Length:"; a body that is not
 * JSON or not a JSON-RPC message is dropped; a body larger than maxBytes is skipped without being buffered.
 * Each drop is reported through onError (the server logs it) and never ends the connection.
 */
import type { Readable } from 'node:stream';
import { AbstractMessageReader, Disposable, type DataCallback, type Message } from 'vscode-languageserver';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('content-length:');
/** Longest header block we wait for before giving up on it. */
const MAX_HEADER_BYTES = 8 * 1024;

/** Default app-level cap on one message (a whole-document sync of a large file still fits). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Index of the next "content-length:" (any case) at or after from, or -1. */
function findContentLength(buf: Buffer, from: number): number {
  const lower = Buffer.from(buf.subarray(from).toString('latin1').toLowerCase(), 'latin1');
  const i = lower.indexOf(CONTENT_LENGTH);
  return i === -1 ? -1 : from + i;
}

export class FramedMessageReader extends AbstractMessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Body length expected next, or -1 while reading headers. */
  private bodyLength = -1;
  /** Bytes of an oversized body still to discard. */
  private skipping = 0;
  private callback: DataCallback | undefined;
  /** Bad input was reported and we are looking for the next header. */
  private resyncing = false;

  constructor(
    private readonly stream: Readable,
    private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (d: Buffer): void => this.onData(d);
    const onClose = (): void => this.fireClose();
    const onError = (e: Error): void => this.fireError(e);
    this.stream.on('data', onData);
    this.stream.on('close', onClose);
    this.stream.on('end', onClose);
    this.stream.on('error', onError);
    return Disposable.create(() => {
      this.stream.off('data', onData);
      this.stream.off('close', onClose);
      this.stream.off('end', onClose);
      this.stream.off('error', onError);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.length);
      this.skipping -= n;
      chunk = chunk.subarray(n);
      if (!chunk.length) return;
    }
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.step()) {
      // keep parsing complete messages
    }
  }

  /** Parses one header block or body; false when more bytes are needed. */
  private step(): boolean {
    if (this.bodyLength === -1) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end === -1) {
        if (this.buffer.length > MAX_HEADER_BYTES) this.resync(1, 'a header block longer than 8 KB');
        return false;
      }
      const headers = this.buffer.subarray(0, end).toString('ascii').split('\r\n');
      const length = headers.map((h) => /^content-length:\s*(\d+)\s*$/i.exec(h)).find((m) => m !== null)?.[1];
      if (length === undefined) {
        // Garbage in front of a real header (input split across chunks): skip to it.
        const next = findContentLength(this.buffer, 1);
        if (next !== -1 && next < end) {
          this.report('bytes that are not a JSON-RPC header');
          this.buffer = this.buffer.subarray(next);
          return true;
        }
        const what = `a message without a valid Content-Length header (${JSON.stringify(headers.join(' | ').slice(0, 80))})`;
        this.resync(end + HEADER_END.length, what);
        return true;
      }
      this.buffer = this.buffer.subarray(end + HEADER_END.length);
      const n = Number(length);
      if (n > this.maxBytes) {
        this.fireError(
          new Error(`dropped a message of ${n} bytes: larger than the ${this.maxBytes}-byte limit`),
        );
        const now = Math.min(n, this.buffer.length);
        this.buffer = this.buffer.subarray(now);
        this.skipping = n - now;
        return this.skipping === 0 && this.buffer.length > 0;
      }
      this.bodyLength = n;
    }
    if (this.buffer.length < this.bodyLength) return false;
    const body = this.buffer.subarray(0, this.bodyLength).toString('utf8');
    this.buffer = this.buffer.subarray(this.bodyLength);
    this.bodyLength = -1;
    let message: unknown;
    try {
      message = JSON.parse(body);
    } catch (err) {
      this.fireError(new Error(`dropped a message that is not valid JSON (${(err as Error).message})`));
      return true;
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      Array.isArray(message) ||
      (message as Message).jsonrpc !== '2.0'
    ) {
      this.fireError(
        new Error(`dropped a JSON value that is not a JSON-RPC 2.0 message: ${body.slice(0, 80)}`),
      );
      return true;
    }
    this.resyncing = false;
    this.callback?.(message as Message);
    return true;
  }

  /** Drops `from` bytes and everything up to the next Content-Length header. */
  private resync(from: number, what: string): void {
    this.report(what);
    const next = findContentLength(this.buffer, from);
    // Without a next header, keep a tail that may be the start of one split across chunks.
    const keep = Math.max(from, this.buffer.length - (CONTENT_LENGTH.length - 1));
    this.buffer = next === -1 ? this.buffer.subarray(keep) : this.buffer.subarray(next);
  }

  /** One error per stretch of bad input (until the next good message), not one per chunk. */
  private report(what: string): void {
    if (!this.resyncing) this.fireError(new Error(`dropped ${what}`));
    this.resyncing = true;
  }
}
