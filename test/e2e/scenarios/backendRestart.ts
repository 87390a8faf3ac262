// Killing the backend process (dist/server.js under code-server's process tree) makes the extension
// restart it: a new backend process appears and the status item recovers to its idle text.
import type { Scenario } from '../harness/scenario';
import { descendants, killPid, type ProcInfo } from '../harness/processes';
import { statusItem, statusText, until } from '../harness/workbench';
import { ids } from './ids';
import { StatusRecorder } from './statusRecorder';

export const backendRestart: Scenario = {
  name: 'killing the backend restarts it and the status item recovers',
  async run({ page, server, shot, note }) {
    const root = server.pid;
    if (root === undefined) throw new Error('code-server is not running');
    // The installed extension's backend: dist/server.js inside this code-server's extensions folder.
    const backends = (): ProcInfo[] =>
      descendants(root).filter(
        (p) => p.cmdline.includes(server.extensionsDir) && /dist\/server\.js\b/.test(p.cmdline),
      );
    const item = statusItem(page, ids.statusItem);
    // Kill a settled backend (idle, or showing an earlier run's failure), not one that is starting.
    const before = await until(
      () => statusText(item),
      (t) => ids.status.settled.test(t),
      30_000,
      'a settled status text',
    );
    note(`status before: ${before}`);
    const [victim, ...others] = await until(
      async () => backends(),
      (b) => b.length > 0,
      30_000,
      'a backend process',
    );
    if (others.length) note(`more than one backend: ${[victim, ...others].map((p) => p.pid).join(', ')}`);
    note(`backend pid ${victim.pid}: ${victim.cmdline}`);
    await shot('before kill');

    const recorder = new StatusRecorder(item, 50);
    recorder.start();
    let texts: string[] = [];
    try {
      killPid(victim.pid, 'SIGKILL');
      const next = await until(
        async () => backends().filter((p) => p.pid !== victim.pid),
        (b) => b.length > 0,
        60_000,
        'a new backend process',
      );
      note(`new backend pid ${next[0].pid}`);
      // The restart follows the crash detection, so an idle text from here on is the new backend's.
      const idle = await until(
        () => statusText(item),
        (t) => ids.status.idle.test(t),
        60_000,
        'the status item to recover',
      );
      note(`recovered: ${idle}`);
    } finally {
      texts = await recorder.stop();
      note(`status texts seen: ${texts.join(' → ')}`);
    }
    await shot('recovered');
  },
};
