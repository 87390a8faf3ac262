/** `npm run bench`'s usage text (main.ts): the workloads and their options, with their defaults. */
import { FINETUNE_DEFAULTS } from './finetuneTorch';
import { MEMORY_DEFAULTS } from './trainingMemory';
import { QUALITY_VARIANTS } from './qualityVariants';
import { SAVE_DEFAULTS } from './checkpointSave';
import { SOAK_DEFAULTS } from './memorySoak';
import { W1_DEFAULTS } from './trainingThroughput';

export const USAGE = `usage: npm run bench -- <workload>... [options]
workloads: w1 (training tokens/s), w2 (fill-mask latency), w3 (tokenizer), hover (round trip through
           the built server while it trains), lens (surprise lens: full pass and per-keystroke update of a
           2,000-word document, hovers meanwhile, while a run trains), hoverprofile (a 4-mask hover's fill in this
           process: each forward pass's rows × tokens and time, tokenization, a new model's first fills with and
           without the worker's warm-up), all (= w1 w2 hover w3), profile (per-kernel time of one W1 step on ours), soak (a run's steps with the inference worker reloading its checkpoints and answering hovers: RSS and tensors),
           memory (wasm heap per part of a training pass: weights, AdamW, backprop, activations per row; vs the estimate),
           gpu (W1, a base-preset step and W2 on the WebGPU adapter and on wasm, in child processes; skipped without an adapter),
           quality (held-out masked-token accuracy after N minutes of training on the State of the Union corpus:
           our CLI's default recipe vs a PyTorch BERT-mini with BERT's original recipe; needs npm run build),
           save (one checkpoint save per model preset: the shutdown's save budget)
           finetune (held-out accuracy of our fine-tune vs a PyTorch fine-tune of the same start, same batches and
           hyperparameters, on the bundled labelled sample; needs --init RUN, a pretraining run: docs/finetune.md)
options:   --json             JSON lines only (no table)
           --no-torch         skip the PyTorch reference
           (w2 runs in a child process with --threads 1, as the product's inference worker, unless --threads is given)
           --backend NAME     auto|wasm|cpu|tensorflow|cuda (default auto, as the product)
           --threads N        wasm threads (default: 1 when W1 runs data parallel, else all cores)
           --data-parallel N|auto  W1 replicas on worker threads, as training.dataParallel (default auto)
           --windows N        W1 timed windows per system (default ${W1_DEFAULTS.windows})
           --dropout P        W1/profile dropout (default 0: W1 lists none); finetune: encoder and classifier dropout (default 0.1)
           --baseline FILE    hover: another build's dist/server.js, measured first in the same invocation
           --steps N          soak steps (default ${SOAK_DEFAULTS.steps})
           --hovers N         soak hovers answered during the run (default: as many as steps)
           --saves N          save: saves per preset (default ${SAVE_DEFAULTS.saves}; --preset A,B picks presets)
           --preset NAME      soak / memory model preset (default ${SOAK_DEFAULTS.preset} / ${MEMORY_DEFAULTS.preset})
           --rows A,B         memory: rows of the measured passes (default ${MEMORY_DEFAULTS.rows.join(',')})
           --seq-len N        memory: tokens per row (default ${MEMORY_DEFAULTS.seqLen})
           --peak-gflops N    gpu: the adapter's datasheet fp32 peak, for MFU against it (e.g. 67000 for an H100 SXM)
           --allow-software   gpu: run on a software adapter too (lavapipe: checks the script, measures nothing)
           --small            gpu: small shapes (batch 4 × seq 64; base at 2 × 64), with --allow-software
           --init RUN         finetune: the pretraining run to start from
           --seeds A,B        finetune: seeds, one fine-tune each per system (default ${FINETUNE_DEFAULTS.seeds.join(',')})
           --epochs X, --lr X finetune: as mlm finetune (default the demo's: ${FINETUNE_DEFAULTS.epochs}, ${FINETUNE_DEFAULTS.lr})
           --minutes N        quality: training minutes of each run (default 5)
           --variants A,B     quality: our recipes to run (default: default; all: ${Object.keys(QUALITY_VARIANTS).join(', ')})`;
