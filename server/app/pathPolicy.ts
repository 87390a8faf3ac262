/**
 * Which file-system paths a client's requests may name. A backend spawned by its one client (stdio, node-ipc) serves
 * that client's user and confines nothing; a socket backend (`mlm serve --socket`) confines every path in a request
 * (run configs, runs to resume, checkpoints, corpus folders, tokenizers, init models, output folders) to the roots it
 * was started with: its workspace and any `--root` folders. Symbolic links are followed before the check, so a link
 * inside a root that points outside it is refused too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MlmError, MlmErrorCodes } from '../../protocol/errors';

/**
 * The real path of p, or of its nearest existing ancestor joined with the rest (p may not exist yet). A dangling
 * symbolic link on the way is followed to where it points.
 */
function realish(p: string, depth = 0): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(cur), ...rest.reverse());
    } catch {
      const link = fs.lstatSync(cur, { throwIfNoEntry: false });
      if (link?.isSymbolicLink() && depth < 32) {
        const target = path.resolve(path.dirname(cur), fs.readlinkSync(cur));
        return realish(path.join(target, ...rest.reverse()), depth + 1);
      }
      const parent = path.dirname(cur);
      if (parent === cur) return path.join(cur, ...rest.reverse());
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** True when p is root or lies below it. */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

export class PathPolicy {
  private readonly real: string[];

  /** roots: absolute folders; empty = no confinement (a backend serving its own parent). */
  constructor(readonly roots: readonly string[]) {
    this.real = roots.map((r) => realish(r));
  }

  get confined(): boolean {
    return this.roots.length > 0;
  }

  /**
   * `p` made absolute against `base` (the workspace root) and checked: throws PathNotAllowed naming the field (`what`),
   * the path and the roots when it lies outside every root.
   */
  resolve(p: string, base: string, what: string): string {
    const abs = path.resolve(base, p);
    if (!this.confined) return abs;
    const real = realish(abs);
    if (this.real.some((r) => isInside(r, real))) return abs;
    throw new MlmError(
      MlmErrorCodes.PathNotAllowed,
      `${what} ${JSON.stringify(p)} is outside the folders this backend serves (${this.roots.join(', ')}): ` +
        'use a path inside them, or restart `mlm serve` with --root FOLDER for that folder',
      { path: abs, roots: this.roots },
    );
  }
}
