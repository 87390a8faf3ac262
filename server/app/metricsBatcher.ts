/** Collects metric rows and sends them as one mlm/metrics batch per run at most every intervalMs. */
import type { MetricRecord } from '../../protocol/shared/metrics';
import type { MetricsNotification } from '../../protocol/training';

export class MetricsBatcher {
  private readonly pending = new Map<string, MetricRecord[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (p: MetricsNotification.Params) => void,
    private readonly intervalMs = 250,
  ) {}

  add(runId: string, record: MetricRecord): void {
    let rows = this.pending.get(runId);
    if (!rows) this.pending.set(runId, (rows = []));
    rows.push(record);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [runId, records] of this.pending) this.send({ runId, records });
    this.pending.clear();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
