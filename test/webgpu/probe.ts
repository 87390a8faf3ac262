/**
 * Run by .ci/test.mjs before the webgpu tier: prints one JSON line, {"ok":true,"adapter":…} when Dawn loads and
 * finds an adapter, else {"ok":false,"reason":…} (the tier is then skipped with that reason, or fails in CI).
 */
import { probeWebgpu } from '../../server/ml/backend/webgpu';

void probeWebgpu().then((p) => {
  process.stdout.write(`${JSON.stringify(p)}\n`);
});
