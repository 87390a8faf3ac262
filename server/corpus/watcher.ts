/**
 * Feeds a CorpusIndex from the file system: chokidar (symlinks not followed; .git, node_modules and .mlm
 * ignored; writes awaited until the file is stable), falling back to a periodic rescan when the watcher fails
 * (e.g. the inotify limit: ENOSPC / EMFILE).
 */
import chokidar, { type FSWatcher } from 'chokidar';
import fs from 'node:fs';
import path from 'node:path';
import { isIgnoredPath, type CorpusIndex } from './corpusIndex';

export interface WatcherOptions {
  /** Rescan period of the fallback, ms. */
  rescanMs: number;
  /** How long a file must stay unchanged before it is read, ms (a file written in chunks is read once). */
  stabilityMs: number;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class CorpusWatcher {
  private watcher: FSWatcher | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly index: CorpusIndex,
    private readonly opts: WatcherOptions,
  ) {}

  start(): void {
    const root = this.index.root;
    const w = chokidar.watch(root, {
      followSymlinks: false,
      ignoreInitial: false,
      alwaysStat: true,
      persistent: true,
      ignored: (p: string) => isIgnoredPath(path.relative(root, p)),
      awaitWriteFinish: {
        stabilityThreshold: this.opts.stabilityMs,
        pollInterval: Math.min(100, this.opts.stabilityMs),
      },
    });
    this.watcher = w;
    w.on('add', (p, st) => this.seen(p, st));
    w.on('change', (p, st) => this.seen(p, st));
    w.on('unlink', (p) => this.index.remove(p));
    w.on('unlinkDir', (p) => this.index.removeDir(p));
    w.on('ready', () => this.index.markReady());
    w.on('error', (err) => this.failed(err as NodeJS.ErrnoException));
  }

  private seen(p: string, st: fs.Stats | undefined): void {
    if (st && !st.isFile()) return;
    if (st) return this.index.upsert(p, st.size, st.mtimeMs);
    fs.lstat(p, (err, s) => {
      if (!err && s.isFile()) this.index.upsert(p, s.size, s.mtimeMs);
    });
  }

  private failed(err: NodeJS.ErrnoException): void {
    const limit = err.code === 'ENOSPC' || err.code === 'EMFILE' || err.code === 'ENFILE';
    if (!limit) {
      this.opts.log('warn', `corpus watcher: ${err.message} (ignored)`);
      return;
    }
    const msg =
      `file watching failed (${err.code}: too many files for the system's watch limit); rescanning every ` +
      `${Math.round(this.opts.rescanMs / 1000)} s instead. Raise fs.inotify.max_user_watches to watch live.`;
    this.opts.log('warn', msg);
    this.index.setMessage(msg);
    void this.watcher?.close();
    this.watcher = undefined;
    void this.rescan();
  }

  /** Walks the tree (no symlinks, ignored folders skipped) and reconciles the index with it. */
  async rescan(): Promise<void> {
    if (this.closed) return;
    const seen = new Set<string>();
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (isIgnoredPath(path.relative(this.index.root, p))) continue;
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) {
          try {
            const st = await fs.promises.stat(p);
            seen.add(path.relative(this.index.root, p));
            this.index.upsert(p, st.size, st.mtimeMs);
          } catch {
            // vanished between readdir and stat
          }
        }
      }
    };
    await walk(this.index.root);
    for (const rel of this.index.knownPaths())
      if (!seen.has(rel)) this.index.remove(path.join(this.index.root, rel));
    this.index.markReady();
    if (!this.closed) {
      this.rescanTimer = setTimeout(() => void this.rescan(), this.opts.rescanMs);
      this.rescanTimer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    await this.watcher?.close();
  }
}
