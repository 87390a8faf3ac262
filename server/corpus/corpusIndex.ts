/**
 * The backend's live index of the workspace's text files. A watcher (or the rescan fallback) reports paths;
 * files matching the index globs are read one at a time (decoded with the corpus reader's rules) and their
 * size, characters or skip reason recorded. Every applied change bumps `version`; stats() is always current.
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { CorpusStats } from '../../protocol/corpus';

export type TextReadResult = { ok: true; chars: number; bytes: number } | { ok: false; reason: string };
/** Reads and decodes one file (never throws): its characters, or why it is skipped. */
export type TextReader = (file: string, maxBytes: number) => Promise<TextReadResult>;

export interface IndexGlobs {
  include: string[];
  exclude: string[];
  maxFileBytes: number;
}

export interface CorpusIndexEvents {
  /** The index changed (cheap to call often; compute stats() lazily). */
  changed(version: number): void;
  /** Indexing progress; undefined when the index is idle again. */
  progress(p: { message: string; fraction?: number } | undefined): void;
}

interface Entry {
  /** Size and mtime when last seen by the watcher (to skip re-reading unchanged files). */
  size: number;
  mtimeMs: number;
  result?: TextReadResult;
}

/** Directories never indexed or watched. */
export const ALWAYS_IGNORED = ['.git', 'node_modules', '.mlm'];
export const isIgnoredPath = (p: string): boolean =>
  p.split(/[\\/]/).some((part) => ALWAYS_IGNORED.includes(part));

export function globMatcher(include: string[], exclude: string[]): (rel: string) => boolean {
  const inc = picomatch(include, { dot: false });
  const exc = exclude.length ? picomatch(exclude, { dot: true }) : () => false;
  return (rel) => {
    const p = rel.split(path.sep).join('/');
    return !isIgnoredPath(p) && inc(p) && !exc(p);
  };
}

export class CorpusIndex {
  /** Every non-ignored file under root (relative path → entry); only matching ones get read. */
  private readonly files = new Map<string, Entry>();
  private readonly queue = new Set<string>();
  private draining = false;
  private ready = false;
  private version = 0;
  private updatedAt = Date.now();
  private matches: (rel: string) => boolean;
  private initialTotal = 0;
  private message: string | undefined;

  constructor(
    readonly root: string,
    private globs: IndexGlobs,
    private readonly read: TextReader,
    private readonly events: CorpusIndexEvents,
  ) {
    this.matches = globMatcher(globs.include, globs.exclude);
  }

  setMessage(message: string | undefined): void {
    this.message = message;
    this.emit();
  }

  /** New index globs (settings changed): re-evaluates which files are read. */
  setGlobs(globs: IndexGlobs): void {
    this.globs = globs;
    this.matches = globMatcher(globs.include, globs.exclude);
    for (const [rel, e] of this.files) {
      if (this.matches(rel) && !e.result) this.enqueue(rel);
      if (!this.matches(rel)) e.result = undefined;
    }
    this.bump();
  }

  /** A file appeared or changed (watcher add/change, or found by a rescan). */
  upsert(abs: string, size: number, mtimeMs: number): void {
    const rel = path.relative(this.root, abs);
    if (!rel || rel.startsWith('..') || isIgnoredPath(rel)) return;
    const old = this.files.get(rel);
    if (old && old.size === size && old.mtimeMs === mtimeMs && old.result) return;
    this.files.set(rel, { size, mtimeMs, result: old?.result });
    if (this.matches(rel)) this.enqueue(rel);
    else this.bump();
  }

  remove(abs: string): void {
    const rel = path.relative(this.root, abs);
    this.queue.delete(rel);
    if (this.files.delete(rel)) this.bump();
  }

  /** Removes every file under a deleted directory. */
  removeDir(abs: string): void {
    const prefix = path.relative(this.root, abs) + path.sep;
    let changed = false;
    for (const rel of [...this.files.keys()]) {
      if (rel.startsWith(prefix)) {
        this.files.delete(rel);
        this.queue.delete(rel);
        changed = true;
      }
    }
    if (changed) this.bump();
  }

  /** The watcher's initial scan is over: from now on progress is "n of N". */
  markReady(): void {
    this.ready = true;
    for (const w of this.scanWaiters.splice(0)) w();
    this.initialTotal = this.queue.size;
    if (!this.draining) this.settle();
  }

  knownPaths(): string[] {
    return [...this.files.keys()];
  }

  /** Absolute paths of the known files a run's globs select, sorted (what the next run trains on). */
  filesFor(include: string[], exclude: string[]): string[] {
    const m = globMatcher(include, exclude);
    return [...this.files.entries()]
      .filter(([rel, e]) => m(rel) && (!e.result || e.result.ok))
      .map(([rel]) => path.join(this.root, rel))
      .sort();
  }

  /** Resolves when the initial scan and every queued read are done. */
  idle(): Promise<void> {
    if (this.ready && !this.draining && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
  private idleWaiters: Array<() => void> = [];

  /** Resolves once the initial scan has listed every file (reads may still be running). */
  scanned(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.scanWaiters.push(resolve));
  }
  private scanWaiters: Array<() => void> = [];

  stats(): CorpusStats {
    let files = 0;
    let chars = 0;
    let bytes = 0;
    const skipped: Record<string, number> = {};
    for (const [rel, e] of this.files) {
      if (!e.result || !this.matches(rel)) continue;
      if (e.result.ok) {
        files++;
        chars += e.result.chars;
        bytes += e.result.bytes;
      } else {
        skipped[e.result.reason] = (skipped[e.result.reason] ?? 0) + 1;
      }
    }
    return {
      root: this.root,
      files,
      chars,
      bytes,
      skipped,
      indexing: !this.ready || this.draining || this.queue.size > 0,
      version: this.version,
      updatedAt: this.updatedAt,
      message: this.message,
    };
  }

  private enqueue(rel: string): void {
    this.queue.add(rel);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      let done = 0;
      while (this.queue.size) {
        const rel = this.queue.values().next().value as string;
        this.queue.delete(rel);
        const entry = this.files.get(rel);
        if (!entry || !this.matches(rel)) continue;
        const result = await this.read(path.join(this.root, rel), this.globs.maxFileBytes);
        // The file may have changed or vanished while it was read: the newer event wins.
        if (this.files.get(rel) !== entry) continue;
        entry.result = result;
        done++;
        this.bump();
        if (this.ready && this.initialTotal + done > 0) {
          const total = Math.max(this.initialTotal, done + this.queue.size);
          this.events.progress({
            message: `indexed ${done} of ${total} files`,
            fraction: Math.min(1, done / total),
          });
        } else if (done % 20 === 0) {
          this.events.progress({ message: `indexed ${done} files` });
        }
      }
    } finally {
      this.draining = false;
      if (this.ready) this.settle();
    }
  }

  private settle(): void {
    this.initialTotal = 0;
    this.events.progress(undefined);
    this.emit();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private bump(): void {
    this.version++;
    this.updatedAt = Date.now();
    this.emit();
  }

  private emit(): void {
    this.events.changed(this.version);
  }
}
