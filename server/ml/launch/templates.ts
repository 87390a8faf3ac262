/**
 * The files `mlm launch` copies into a bundle as they are (train.py): server/ml/launch/torchrun/ in the sources,
 * dist/launch/torchrun/ next to the bundles (.ci/build.mjs copies them there; the extension ships them).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const DIRS = [path.join(__dirname, 'torchrun'), path.join(__dirname, 'launch', 'torchrun')];

/** The template's path; throws naming where it looked when the installation lacks it. */
export function templateFile(name: string): string {
  for (const dir of DIRS) {
    const file = path.join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new Error(
    `the launch template ${name} is missing (looked in ${DIRS.join(', ')}): rebuild with npm run build or reinstall`,
  );
}
