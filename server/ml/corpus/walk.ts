/**
 * Enumerates the files of a corpus: each root is a directory (walked recursively), a file, or a glob. Follows
 * symbolic links safely: every real file is yielded once, and a link back into one of its own ancestors is
 * reported as a symlink loop instead of being walked forever. `.git`, `node_modules` and `.mlm` are always skipped.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { recordSkip, type CorpusReport } from './report';

export const ALWAYS_EXCLUDED = new Set(['.git', 'node_modules', '.mlm']);
export const DEFAULT_INCLUDE = ['**/*.txt', '**/*.md'];

export interface WalkOptions {
  roots: string[];
  include?: string[];
  exclude?: string[];
  cwd: string;
}

/** A file found by the walk: absolute path, and its path relative to the root it was found under (POSIX). */
export interface FoundFile {
  path: string;
  rel: string;
}

type Matcher = (rel: string) => boolean;
const matcher = (globs: string[]): Matcher => {
  if (!globs.length) return () => false;
  const m = picomatch(globs, { dot: true });
  return (rel) => m(rel);
};

export async function* walkCorpus(opts: WalkOptions, report: CorpusReport): AsyncGenerator<FoundFile> {
  const seenFiles = new Set<string>();
  const walkedDirs = new Set<string>();
  const exclude = matcher(opts.exclude ?? []);
  for (const root of opts.roots) {
    const scan = picomatch.scan(root);
    let base: string;
    let include: Matcher;
    if (scan.isGlob) {
      base = path.resolve(opts.cwd, scan.base || '.');
      include = matcher([scan.glob]);
    } else {
      base = path.resolve(opts.cwd, root);
      include = matcher(opts.include ?? DEFAULT_INCLUDE);
    }
    let st;
    try {
      st = await fs.stat(base);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `corpus path ${root} does not exist`
          : `cannot read corpus path ${root}: ${(err as Error).message}`,
      );
    }
    if (st.isFile() && !scan.isGlob) {
      // An explicitly named file is read whatever the include globs say.
      const real = await fs.realpath(base);
      if (!seenFiles.has(real)) {
        seenFiles.add(real);
        yield { path: base, rel: path.basename(base) };
      }
      continue;
    }
    if (!st.isDirectory()) throw new Error(`corpus path ${root} is neither a file nor a directory`);
    const real = await fs.realpath(base);
    walkedDirs.add(real);
    yield* walkDir(base, '', new Set([real]), include);
  }

  async function* walkDir(
    dir: string,
    relDir: string,
    ancestors: Set<string>,
    include: Matcher,
  ): AsyncGenerator<FoundFile> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') recordSkip(report, 'vanished', dir, 'directory deleted while walking');
      else recordSkip(report, 'unreadable', dir, `cannot list directory: ${code ?? String(err)}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (ALWAYS_EXCLUDED.has(e.name)) continue;
      const full = path.join(dir, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (exclude(rel)) continue;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await fs.stat(full);
          isDir = st.isDirectory();
          isFile = !isDir;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ELOOP') recordSkip(report, 'symlink-loop', full, 'symbolic link points to itself');
          else if (code === 'ENOENT') recordSkip(report, 'unreadable', full, 'broken symbolic link');
          else recordSkip(report, 'unreadable', full, code ?? String(err));
          continue;
        }
      } else if (!isDir && !isFile) {
        isFile = true; // FIFOs, sockets, devices: readFileAsText reports them as not regular files
      }
      let real: string;
      try {
        real = await fs.realpath(full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') recordSkip(report, 'vanished', full, 'deleted while walking');
        else if (code === 'ELOOP')
          recordSkip(report, 'symlink-loop', full, 'too many levels of symbolic links');
        else recordSkip(report, 'unreadable', full, code ?? String(err));
        continue;
      }
      if (isDir) {
        if (exclude(`${rel}/`)) continue;
        if (ancestors.has(real)) {
          recordSkip(report, 'symlink-loop', full, `links back to its ancestor ${real}`);
          continue;
        }
        if (walkedDirs.has(real)) continue; // reached twice through links: its files are counted once
        walkedDirs.add(real);
        yield* walkDir(full, rel, new Set([...ancestors, real]), include);
      } else if (include(rel) && !seenFiles.has(real)) {
        seenFiles.add(real);
        yield { path: full, rel };
      }
    }
  }
}
