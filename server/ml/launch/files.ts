/**
 * The text files of a launch bundle written from its recipe: launch.sh (torchrun), requirements.txt, and the README
 * for clusters (one machine, several nodes, Slurm, the way back, and the `accelerate launch run_mlm.py` alternative).
 */
import type { BundleRecipe, DataManifest } from './bundleFormat';

/** Pinned minimums: what train.py was written and tested against (Debian's python3-torch 1.13). */
export const REQUIREMENTS = 'torch>=1.13\nnumpy>=1.21\n';

/** launch.sh: torchrun with c10d rendezvous; every value can be overridden from the environment. */
export function launchScript(l: BundleRecipe['launch']): { text: string; command: string } {
  const command =
    'torchrun --nnodes "$NNODES" --nproc_per_node "$NPROC_PER_NODE" --rdzv_backend c10d ' +
    '--rdzv_endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv_id "$RDZV_ID" --max_restarts "$MAX_RESTARTS" ' +
    '--log_dir "$LOG_DIR" --redirects 2 --tee 2 train.py --device "$DEVICE"';
  const text = `#!/usr/bin/env bash
# Trains this bundle with PyTorch DDP under torchrun (written by \`mlm launch\`; see README.md).
#   ./launch.sh                                         one machine, NPROC_PER_NODE processes
#   NNODES=2 MASTER_ADDR=node0 ./launch.sh              on every node (MASTER_ADDR: a host all nodes reach)
# The process group is gloo on CPUs and nccl on GPUs (train.py picks it from DEVICE: auto = cuda when available).
# Extra arguments go to train.py (e.g. --max-steps 100, --out /scratch/run1). Each worker's stderr is also kept in
# LOG_DIR (--redirects 2 --tee 2: stdout and stderr still reach the console; these explicit values also avoid
# torch 1.13's failure on Python 3.11 with the defaults, "'NoneType' object has no attribute 'get'").
set -euo pipefail
cd "$(dirname "$0")"
NNODES="\${NNODES:-${l.nnodes}}"
NPROC_PER_NODE="\${NPROC_PER_NODE:-${l.nprocPerNode}}"
MASTER_ADDR="\${MASTER_ADDR:-127.0.0.1}"
MASTER_PORT="\${MASTER_PORT:-29500}"
RDZV_ID="\${RDZV_ID:-mlm-launch}"
MAX_RESTARTS="\${MAX_RESTARTS:-0}"
DEVICE="\${DEVICE:-auto}"
LOG_DIR="\${LOG_DIR:-output/torchrun-logs}"
PYTHON="\${PYTHON:-python3}"
if command -v torchrun >/dev/null 2>&1; then
  TORCHRUN=(torchrun)
else
  TORCHRUN=("$PYTHON" -m torch.distributed.run)
fi
exec "\${TORCHRUN[@]}" --nnodes "$NNODES" --nproc_per_node "$NPROC_PER_NODE" \\
  --rdzv_backend c10d --rdzv_endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv_id "$RDZV_ID" \\
  --max_restarts "$MAX_RESTARTS" --log_dir "$LOG_DIR" --redirects 2 --tee 2 train.py --device "$DEVICE" "$@"
`;
  return { text, command };
}

const SCHEDULER: Record<string, string> = {
  linear: 'linear',
  cosine: 'cosine',
  constant: 'constant_with_warmup',
};

/** The `accelerate launch run_mlm.py` command line with the bundle's data and hyperparameters. */
export function runMlmCommand(r: BundleRecipe, hasValidationText: boolean): string {
  const t = r.training;
  const processes = r.launch.nnodes * r.launch.nprocPerNode;
  const perDevice = Math.max(1, Math.ceil(t.batchSize / processes));
  const total = r.plan.totalSteps;
  const warmup = total !== undefined ? Math.round(r.plan.schedule.warmupFraction * total) : t.warmupSteps;
  const args: string[] = [
    `accelerate launch --num_machines ${r.launch.nnodes} --num_processes ${processes} run_mlm.py`,
    '--model_name_or_path model',
    '--train_file text/train.txt',
    hasValidationText
      ? '--validation_file text/validation.txt'
      : `--validation_split_percentage ${Math.round(r.runConfig.data.validationSplit * 100)}`,
    `--max_seq_length ${r.data.seqLen}`,
    ...(r.runConfig.data.mode === 'line' ? ['--line_by_line'] : []),
    `--mlm_probability ${r.data.masking.probability}`,
    `--per_device_train_batch_size ${perDevice} --per_device_eval_batch_size ${perDevice}`,
    `--gradient_accumulation_steps ${t.gradAccumulation}`,
    `--learning_rate ${t.lr} --weight_decay ${t.weightDecay}`,
    `--adam_beta1 ${t.adamBeta1} --adam_beta2 ${t.adamBeta2} --adam_epsilon ${t.adamEpsilon}`,
    `--max_grad_norm ${t.clipNorm ?? 0}`,
    `--lr_scheduler_type ${SCHEDULER[t.schedule] ?? 'linear'}`,
    ...(warmup !== null && warmup !== undefined ? [`--warmup_steps ${warmup}`] : []),
    total !== undefined ? `--max_steps ${total}` : `--num_train_epochs ${t.epochs ?? 3}`,
    `--seed ${t.seed}`,
    '--do_train --do_eval --evaluation_strategy steps',
    `--eval_steps ${t.evalEvery} --logging_steps ${t.logEvery}`,
    `--save_steps ${r.checkpoint.every} --save_total_limit ${r.checkpoint.keepLast}`,
    '--output_dir hf-output',
  ];
  return args.join(' \\\n  ');
}

export function bundleReadme(o: {
  recipe: BundleRecipe;
  manifest: DataManifest;
  hasValidationText: boolean;
}): string {
  const { recipe: r, manifest: m } = o;
  const t = r.training;
  const c = r.runConfig;
  const steps =
    r.plan.totalSteps !== undefined ? `${r.plan.totalSteps} steps` : `a ${t.timeBudget} time budget`;
  const shardFiles = m.shards.length * 3;
  return `# ${c.name ?? 'MLM Studio run'}: a torchrun launch bundle

Written by \`mlm launch --engine torchrun\` (MLM Studio) on ${r.createdAt}. It trains a BERT masked language model
with MLM Studio's recipe on PyTorch DDP, on any number of processes, GPUs and nodes, and needs nothing but
\`torch\` and \`numpy\` (no \`transformers\`, no downloads).

| file | what it is |
| --- | --- |
| \`train.py\` | the trainer: plain PyTorch DDP, MLM Studio's recipe exactly (same batches, masking, optimizer, schedule) |
| \`launch.sh\` | \`torchrun --nnodes ${r.launch.nnodes} --nproc_per_node ${r.launch.nprocPerNode} --rdzv_backend c10d …\` (values overridable from the environment) |
| \`bundle.json\` | the recipe train.py reads: the run config, the plan (${steps}), masking, special token ids |
| \`model/\` | the initial weights as a Hugging Face BertForMaskedLM folder: ${r.initialWeights} |
| \`data/\` | the corpus already tokenized: ${m.splits.train.examples} train and ${m.splits.validation.examples} held-out examples of ${m.seqLen} token ids (${m.splits.train.tokens + m.splits.validation.tokens} real tokens) in ${shardFiles} .npy files; \`manifest.json\` lists each file's size and sha256 |
| \`text/\` | the same train/held-out split as plain text, for the \`run_mlm.py\` alternative below |
| \`requirements.txt\` | \`torch>=1.13\`, \`numpy>=1.21\` |

The recipe: batch ${t.batchSize} × ${t.gradAccumulation} accumulation, sequence length ${m.seqLen}, masking
${r.data.masking.probability} of the tokens (${r.data.masking.maskFraction} → [MASK], ${r.data.masking.randomFraction} → a random token, the rest kept${r.data.masking.wholeWord ? ', whole words' : ''}),
AdamW lr ${t.lr} (β ${t.adamBeta1}/${t.adamBeta2}, ε ${t.adamEpsilon}, weight decay ${t.weightDecay} except biases and LayerNorm),
${t.schedule} schedule with warmup, gradient clipping at ${t.clipNorm ?? 'none'}, evaluation every ${t.evalEvery} steps on the
held-out examples, checkpoints every ${r.checkpoint.every} steps (keep ${r.checkpoint.keepLast}${r.checkpoint.keepBest ? ' + the best' : ''}).
Every optimizer step trains on the global batch MLM Studio would take: each process masks the whole batch
(deterministic, cheap) and trains on its share of the rows, so the result does not depend on the number of processes.

## Run it on one machine

\`\`\`sh
pip install -r requirements.txt        # or: apt-get install python3-torch python3-numpy
./launch.sh                            # ${r.launch.nprocPerNode} process(es); NPROC_PER_NODE=8 ./launch.sh for 8 GPUs
python3 train.py                       # or one process without torchrun
\`\`\`

On GPUs each process takes the GPU of its \`LOCAL_RANK\` and the processes talk over \`nccl\`; on CPUs over \`gloo\`
(\`DEVICE=cpu ./launch.sh\` forces the CPU). Progress is printed by the first process; \`output/metrics.jsonl\` grows
as it trains. Stop with Ctrl+C; run \`./launch.sh\` again with the same output folder and it continues from the newest
complete checkpoint, exactly (weights, optimizer moments, data position). \`MAX_RESTARTS=3 ./launch.sh\` lets torchrun
restart failed workers, which then resume the same way.

## Run it on several nodes

Copy this folder to every node (or put it on a shared file system), then on **each** node:

\`\`\`sh
NNODES=2 NPROC_PER_NODE=8 MASTER_ADDR=node0.cluster MASTER_PORT=29500 RDZV_ID=my-run ./launch.sh
\`\`\`

\`MASTER_ADDR\` is any host every node can reach (it hosts the c10d rendezvous); only the first process writes
\`output/\` — on a shared file system every node sees it, otherwise copy it back from the node whose process had rank 0.

### Slurm

\`\`\`sh
#!/bin/bash
#SBATCH --job-name=mlm
#SBATCH --nodes=${r.launch.nnodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=${r.launch.nprocPerNode}
#SBATCH --cpus-per-task=16
#SBATCH --time=12:00:00
export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_PORT=29500 NNODES=$SLURM_NNODES NPROC_PER_NODE=${r.launch.nprocPerNode} RDZV_ID=$SLURM_JOB_ID MAX_RESTARTS=3
srun ./launch.sh --out "$PWD/output"
\`\`\`

\`srun\` starts one \`launch.sh\` (one torchrun) per node; torchrun starts the processes of its node. A job requeued
after preemption resumes from its newest checkpoint.

## Bring the result back

\`output/\` holds \`metrics.jsonl\` (MLM Studio's metric rows) and \`checkpoints/step-N/\`: each is a Hugging Face
folder (\`BertForMaskedLM.from_pretrained("output/checkpoints/step-N")\` loads it) that also carries the optimizer
state and \`state.json\`. Copy the bundle folder (or just its \`output/\`, \`bundle.json\` and \`model/\`) back and run

\`\`\`sh
mlm launch import --bundle path/to/this-bundle --out .mlm/runs/my-cluster-run
\`\`\`

or *MLM: Import torchrun Result…* in VS Code. The run folder it makes is a run like any other: the dashboard draws
its curves, hovers and *Fill Mask* use its weights, \`mlm finetune --init .mlm/runs/my-cluster-run\` fine-tunes it,
\`mlm export\` exports it, and \`mlm train --resume\` continues it here.

## Alternative: Hugging Face \`accelerate launch run_mlm.py\`

With \`transformers\`, \`datasets\` and \`accelerate\` installed, the Hugging Face example script
[\`run_mlm.py\`](https://github.com/huggingface/transformers/blob/main/examples/pytorch/language-modeling/run_mlm.py)
trains the same model on the same text with the same hyperparameters:

\`\`\`sh
${runMlmCommand(r, o.hasValidationText)}
\`\`\`

It tokenizes \`text/\` itself (its own grouping of the text into sequences), masks with transformers' fixed 80/10/10
(${r.data.masking.wholeWord ? 'no whole-word masking, ' : ''}its own random order), and writes checkpoints to
\`hf-output/\` that \`mlm import hf-output/checkpoint-N --out .mlm/runs/NAME\` brings back (weights only; its
\`trainer_state.json\` log is not MLM Studio's metrics). Only \`train.py\` reproduces MLM Studio's run exactly.
`;
}
