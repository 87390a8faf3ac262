// The workbench loads from code-server and the extension activates: its status item appears and shows
// the backend's device summary (e.g. "wasm · 2 cores") once the backend reported.
import type { Scenario } from '../harness/scenario';
import { statusItem, statusText, until } from '../harness/workbench';
import { ids } from './ids';

export const workbenchLoads: Scenario = {
  name: 'workbench loads and the MLM status item appears',
  async run({ page, shot, note }) {
    const item = statusItem(page, ids.statusItem);
    await item.waitFor({ timeout: 60_000 });
    await shot('status item visible');
    const text = await until(
      () => statusText(item),
      (t) => ids.status.idle.test(t),
      60_000,
      'the status item to show the backend',
      {
        fail: (t) => (t && ids.status.failed.test(t) ? `the status item reports a problem: ${t}` : undefined),
      },
    );
    note(`status item: ${text}`);
    await shot('status item shows backend');
  },
};
