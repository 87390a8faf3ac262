/**
 * `mlm export-metrics`: a run's metrics.jsonl as CSV or as a TensorBoard event file (the same writers the dashboard's
 * CSV export and the run config's logging.tensorboard use: protocol/shared/metricsCsv.ts,
 * server/ml/checkpoint/tensorboard.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { metricsToCsv } from '../../../protocol/shared/metricsCsv';
import { writeFileAtomic } from '../../ml/atomicWrite';
import {
  eventFileBytes,
  eventFileName,
  METRICS_FILE,
  readMetrics,
  readRunStatus,
  runStartMs,
} from '../../ml/checkpoint';
import { CliError, type Command, parseCliArgs } from '../command';

const USAGE = `usage: mlm export-metrics --run DIR [--format csv|tensorboard] [--out PATH]

Exports the metric rows of a run (its metrics.jsonl: train and eval rows of pretraining or fine-tuning).

  --run DIR        a run folder (.mlm/runs/<run-id>, or a fine-tune run's --out folder)
  --format F       csv (default): split, step, epoch, time (ms since the run started), loss and every
                   metric column that occurs, one line per row;
                   tensorboard: an events.out.tfevents.* file with one scalar per numeric column, tagged
                   train/loss, eval/accuracy, … (open it with tensorboard --logdir)
  --out PATH       csv: the file to write (default: standard output);
                   tensorboard: the folder to write the event file into (created; default: the run folder)`;

/** The run's start (epoch ms): run.json's createdAt, else the metrics file's last change minus its last row's time. */
function startOf(runDir: string, lastRowTime: number): number {
  const createdAt = readRunStatus(runDir)?.createdAt;
  if (createdAt && Number.isFinite(Date.parse(createdAt))) return runStartMs(createdAt);
  return fs.statSync(path.join(runDir, METRICS_FILE)).mtimeMs - lastRowTime;
}

export const exportMetricsCommand: Command = {
  name: 'export-metrics',
  summary: "export a run's metrics as CSV or TensorBoard scalars",
  usage: USAGE,
  run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: { run: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
        strict: true,
        allowPositionals: false,
      },
      USAGE,
    ).values;
    if (!v.run) throw new CliError(`no run given: pass --run .mlm/runs/<run-id>\n\n${USAGE}`, 2);
    const format = v.format ?? 'csv';
    if (format !== 'csv' && format !== 'tensorboard')
      throw new CliError(`--format must be csv or tensorboard, got "${format}"\n\n${USAGE}`, 2);
    const runDir = path.resolve(v.run);
    if (!fs.existsSync(path.join(runDir, METRICS_FILE)))
      throw new CliError(
        `${runDir} has no ${METRICS_FILE}: pass a run folder (.mlm/runs/<run-id>) that has trained at least one logged step`,
      );
    const rows = readMetrics(runDir);
    if (format === 'csv') {
      const csv = metricsToCsv(rows);
      if (v.out === undefined) process.stdout.write(csv);
      else {
        writeFileAtomic(path.resolve(v.out), csv);
        process.stderr.write(`wrote ${rows.length} rows to ${path.resolve(v.out)}\n`);
      }
      return Promise.resolve(0);
    }
    const outDir = path.resolve(v.out ?? runDir);
    if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory())
      throw new CliError(`--out ${outDir} is a file: with --format tensorboard pass a folder`, 2);
    fs.mkdirSync(outDir, { recursive: true });
    const start = startOf(runDir, rows.at(-1)?.time ?? 0);
    const file = path.join(outDir, eventFileName(start));
    writeFileAtomic(file, eventFileBytes(rows, start));
    process.stderr.write(`wrote ${rows.length} rows to ${file} (tensorboard --logdir ${outDir})\n`);
    return Promise.resolve(0);
  },
};
