/** `mlm export --run DIR --out HF_DIR [--force]`: a run's best (else newest) checkpoint as a Hugging Face folder. */
import * as path from 'node:path';
import { exportTaskModel, isTaskModelFolder } from '../../ml/finetune';
import { exportRun } from '../../ml/hf';
import { CliError, type Command, parseCliArgs } from '../command';

const USAGE = `usage: mlm export --run RUN_DIR|CHECKPOINT_DIR --out HF_DIR [--force]

Writes the run's best checkpoint (else its newest; or the checkpoint folder given) as a Hugging Face BERT folder:
config.json (BertForMaskedLM), model.safetensors (float32), vocab.txt, tokenizer.json, tokenizer_config.json,
special_tokens_map.json and a README.md model card (data, steps, metrics). Load it in Python with
  transformers.BertForMaskedLM.from_pretrained("HF_DIR") and transformers.AutoTokenizer.from_pretrained("HF_DIR").

A fine-tuned model (mlm finetune) is written as a BertForSequenceClassification / BertForTokenClassification
folder (config.json with id2label, label2id, problem_type) that AutoModelForSequenceClassification /
AutoModelForTokenClassification load.

  --force   overwrite the exported files in a non-empty HF_DIR (other files there are left alone)`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a BERT run or a fine-tuned model as a Hugging Face folder (+ tokenizer + model card)',
  usage: USAGE,
  async run(argv) {
    const v = parseCliArgs(
      {
        args: argv,
        options: { run: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
        strict: true,
        allowPositionals: false,
      },
      USAGE,
    ).values;
    if (!v.run) throw new CliError(`missing --run RUN_DIR\n\n${USAGE}`, 2);
    if (!v.out) throw new CliError(`missing --out HF_DIR\n\n${USAGE}`, 2);
    if (isTaskModelFolder(path.resolve(v.run))) {
      let t;
      try {
        t = await exportTaskModel(path.resolve(v.run), path.resolve(v.out), { force: v.force ?? false });
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const auto =
        t.head.task === 'token' ? 'AutoModelForTokenClassification' : 'AutoModelForSequenceClassification';
      process.stdout.write(
        `exported the ${t.head.task} model${t.step !== undefined ? ` at step ${t.step}` : ''} from ${t.weightsDir}\n` +
          `to ${t.outDir}: ${t.files.map((f) => path.basename(f)).join(', ')}\n` +
          `load it with transformers: ${auto}.from_pretrained(${JSON.stringify(t.outDir)})\n`,
      );
      return 0;
    }
    let r;
    try {
      r = await exportRun(path.resolve(v.run), path.resolve(v.out), { force: v.force ?? false });
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    process.stdout.write(
      `exported step ${r.step} (${(r.parameters / 1e6).toFixed(2)}M parameters) from ${r.checkpointDir}\n` +
        `to ${r.outDir}: ${r.files.map((f) => path.basename(f)).join(', ')}\n` +
        `load it with transformers: BertForMaskedLM.from_pretrained(${JSON.stringify(r.outDir)})\n`,
    );
    return 0;
  },
};
