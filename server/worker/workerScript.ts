/** Where the worker bundle is: dist/trainer-worker.js beside the running bundle, or MLM_TRAINER_WORKER. */
import fs from 'node:fs';
import path from 'node:path';

export function workerScript(): string {
  return process.env.MLM_TRAINER_WORKER || path.join(__dirname, 'trainer-worker.js');
}

/** Why the worker cannot start, or undefined when its script exists. */
export function workerScriptProblem(): string | undefined {
  const script = workerScript();
  if (fs.existsSync(script)) return undefined;
  return `the trainer worker ${script} is missing: rebuild with \`npm run build\` or reinstall the extension`;
}
