/**
 * killFinetune.test.ts's child: one fine-tune run (config JSON in argv[2], run folder argv[3]) on the cpu backend,
 * printing "step N" for every train row so that the parent can SIGKILL it mid-epoch.
 */
import { initBackend } from '../../../../../server/ml/backend';
import type { FinetuneConfig } from '../../../../../server/ml/finetune/config';
import { runFinetune } from '../../../../../server/ml/finetune/run';

void (async () => {
  await initBackend({ backend: 'cpu' });
  await runFinetune(JSON.parse(process.argv[2]) as FinetuneConfig, {
    out: process.argv[3],
    callbacks: { onMetrics: (m) => m.split === 'train' && process.stdout.write(`step ${m.step}\n`) },
  });
})();
