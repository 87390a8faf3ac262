/** `mlm models`: the masked-LM models in the Hugging Face cache, and whether this product can use each. */
import { formatBytes } from '../../../protocol/shared/units';
import { hubCacheDir, listCachedModels } from '../../ml/hub';
import { type Command, parseCliArgs } from '../command';

const USAGE = `usage: mlm models [--json]

Lists the masked language models in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
~/.cache/huggingface/hub), as Python's transformers and huggingface_hub left them or "mlm import --hub" fetched
them: id, revision, size on disk, family, and whether MLM Studio can use it (and if not, why). A usable model can
be named by its id wherever a model folder is taken: mlm import --hub ID, mlm train --init ID, "model.init": "ID".

  --json   one JSON array instead of the table`;

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the masked-LM models in the Hugging Face cache (id, revision, size, family, usable)',
  usage: USAGE,
  run(argv) {
    const v = parseCliArgs(
      { args: argv, options: { json: { type: 'boolean' } }, strict: true },
      USAGE,
    ).values;
    const cacheDir = hubCacheDir();
    const models = listCachedModels(process.env, cacheDir);
    if (v.json) {
      process.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return Promise.resolve(0);
    }
    if (!models.length) {
      process.stdout.write(
        `no masked-LM models in the Hugging Face cache ${cacheDir}\n` +
          `  fetch one: mlm import --hub google-bert/bert-base-uncased --out runs/bert-base\n`,
      );
      return Promise.resolve(0);
    }
    const rows = models.map((m) => [
      m.id,
      m.revision,
      formatBytes(m.size),
      m.family,
      m.usable ? 'yes' : `no: ${m.why ?? ''}`,
    ]);
    const head = ['ID', 'REVISION', 'SIZE', 'FAMILY', 'USABLE'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]): string =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    process.stdout.write(
      `${[`Hugging Face cache: ${cacheDir}`, '', line(head), ...rows.map(line)].join('\n')}\n`,
    );
    return Promise.resolve(0);
  },
};
