#!/usr/bin/env python3
"""
MLM Studio's masked-LM recipe as a plain PyTorch DDP trainer, written into a launch bundle by `mlm launch`.

    torchrun --nnodes 1 --nproc_per_node 2 train.py          (see launch.sh; python3 train.py = one process)

Needs torch and numpy only (no transformers, no downloads). It reads the bundle next to it:
    bundle.json            the recipe: masking, optimizer, schedule, plan, evaluation, checkpoints (from the run config)
    model/                 the initial weights as a Hugging Face BertForMaskedLM folder (config.json, model.safetensors)
    data/manifest.json     the corpus already tokenized: shards of token ids (+ word starts, lengths), with checksums
and writes into --out (default: <bundle>/output):
    metrics.jsonl          one row per log/eval, in MLM Studio's format (the dashboard draws it after `mlm launch import`)
    checkpoints/step-N/    Hugging Face folders (config.json, model.safetensors, vocab.txt, ...) that
                           BertForMaskedLM.from_pretrained loads, plus optimizer.safetensors and state.json, which
                           let this script (and MLM Studio) resume exactly; COMPLETE is written last.

The recipe is MLM Studio's exactly: the same batches (its seeded example order and dynamic 80/10/10 masking, ported
bit for bit), post-LN BERT with exact GELU and the MLM decoder tied to the word embeddings, loss = mean
cross-entropy over the step's masked tokens, AdamW (no decay for biases and LayerNorm), warmup then linear/cosine
decay, global-norm clipping, evaluation on the held-out shard with fixed masks. Each optimizer step's global batch is
the one MLM Studio would take; with W processes every process masks the whole batch (cheap, deterministic) and
trains on its 1/W of the rows, weighting its loss so that DDP's gradient average is exactly the full batch's mean.
A run restarted with the same --out continues from its newest complete checkpoint (torchrun --max_restarts).

Over 300 lines: the bundle's one self-contained script (data, model, recipe, checkpoints) that a cluster user copies
and reads as one file, with nothing to install but torch and numpy.
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import struct
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

FORMAT = 1
CHECKPOINT_FORMAT = 1
U32 = 0xFFFFFFFF
MASK_BIAS = -1e9  # additive attention bias of padding keys (MLM Studio's value)
COPIED_MODEL_FILES = ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def fail(message):
    """A failure the user can act on: one line naming the cause and what to do, exit code 1."""
    sys.stderr.write(f"train.py: {message}\n")
    sys.exit(1)


# ── Seeded streams: MLM Studio's server/ml/data/rng.ts, bit for bit ─────────────────────────────────────────────


def imul(a, b):
    return (a * b) & U32


class SeededRng:
    """mulberry32 with a one-uint32 state; next() is uniform in [0, 1) (the same doubles as JavaScript's)."""

    def __init__(self, seed):
        self.s = seed & U32

    def next(self):
        self.s = (self.s + 0x6D2B79F5) & U32
        t = self.s
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & U32
        return ((t ^ (t >> 14)) & U32) / 4294967296.0

    def int(self, n):
        return int(math.floor(self.next() * n))


def mix_seed(*parts):
    h = 0x811C9DC5
    for p in parts:
        x = (p & U32) ^ (p // 4294967296)
        for _ in range(4):
            h ^= x & 0xFF
            h = imul(h, 0x01000193)
            x = (x & U32) >> 8
    h ^= h >> 16
    h = imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h & U32


def permutation(n, rng):
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.int(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


# ── Data: shards, masking (server/ml/data/masking.ts), the train stream and eval batches (data/stream.ts) ─────────


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_split(bundle, manifest, split, verify):
    """The examples of one split: ids [n, seqLen] int32, word starts [n, seqLen] uint8, lengths [n] int32."""
    parts = {"ids": [], "word_start": [], "lengths": []}
    for shard in (s for s in manifest["shards"] if s["split"] == split):
        for kind in parts:
            entry = shard["files"][kind]
            path = os.path.join(bundle, "data", entry["file"])
            if not os.path.exists(path):
                fail(f"{path} is missing: copy the whole bundle folder (mlm launch wrote it) to this machine")
            if os.path.getsize(path) != entry["bytes"]:
                fail(f"{path} has {os.path.getsize(path)} bytes, the manifest says {entry['bytes']}: copy it again")
            if verify and sha256_of(path) != entry["sha256"]:
                fail(f"{path} does not match its sha256 in data/manifest.json: the copy is damaged; copy it again")
            parts[kind].append(np.load(path, allow_pickle=False))
    if not parts["ids"]:
        return None
    out = {k: np.concatenate(v) for k, v in parts.items()}
    if out["ids"].shape[1] != manifest["seqLen"]:
        fail(f"the {split} shards hold rows of {out['ids'].shape[1]} tokens, the manifest says {manifest['seqLen']}")
    return out


class Masker:
    def __init__(self, masking, vocab_size, special):
        self.p = masking["probability"]
        self.mask_fraction = masking["maskFraction"]
        self.random_fraction = masking["randomFraction"]
        self.whole_word = masking["wholeWord"]
        self.vocab_size = vocab_size
        self.mask_id = special["mask"]
        self.specials = {special[k] for k in ("pad", "unk", "cls", "sep", "mask")}

    def random_token(self, rng):
        while True:
            i = int(math.floor(rng.next() * self.vocab_size))
            if i not in self.specials:
                return i

    def mask(self, data, rows, rng, counts=None):
        """One batch of the examples `rows` (in order), masked with `rng`; the same draws as maskBatch."""
        ids_all, starts_all, lengths_all = data["ids"], data["word_start"], data["lengths"]
        seq_len = ids_all.shape[1]
        b = len(rows)
        input_ids = ids_all[rows].astype(np.int64).reshape(-1)
        attention = np.zeros((b, seq_len), dtype=np.int64)
        positions, labels = [], []
        c = {"candidates": 0, "targets": 0, "masked": 0, "random": 0, "kept": 0}

        def target(flat, original):
            positions.append(flat)
            labels.append(original)
            c["targets"] += 1
            r = rng.next()
            if r < self.mask_fraction:
                input_ids[flat] = self.mask_id
                c["masked"] += 1
            elif r < self.mask_fraction + self.random_fraction:
                input_ids[flat] = self.random_token(rng)
                c["random"] += 1
            else:
                c["kept"] += 1

        specials = self.specials
        for bi, ex in enumerate(rows):
            ids = ids_all[ex].tolist()
            starts = starts_all[ex].tolist()
            length = int(lengths_all[ex])
            attention[bi, :length] = 1
            base = bi * seq_len
            t = 0
            while t < length:
                if ids[t] in specials:
                    t += 1
                    continue
                end = t + 1
                if self.whole_word:
                    while end < length and ids[end] not in specials and not starts[end]:
                        end += 1
                c["candidates"] += end - t
                if rng.next() < self.p:
                    for u in range(t, end):
                        target(base + u, ids[u])
                t = end
        if not positions and c["candidates"]:
            candidates = [
                bi * seq_len + t
                for bi, ex in enumerate(rows)
                for t in range(int(lengths_all[ex]))
                if int(ids_all[ex, t]) not in specials
            ]
            flat = candidates[int(math.floor(rng.next() * len(candidates)))]
            target(flat, int(ids_all[rows[flat // seq_len], flat % seq_len]))
        order = sorted(range(len(positions)), key=lambda i: positions[i])
        if counts is not None:
            for k in counts:
                counts[k] += c[k]
        return {
            "input_ids": input_ids.reshape(b, seq_len),
            "attention": attention,
            "positions": np.array([positions[i] for i in order], dtype=np.int64),
            "labels": np.array([labels[i] for i in order], dtype=np.int64),
            "tokens": int(sum(int(lengths_all[ex]) for ex in rows)),
        }


class TrainStream:
    """Epoch e visits the examples in a permutation seeded by (seed, 1, e); the batch at index i is masked with
    an rng seeded by (seed, 2, e, i). The position (epoch, index) is all a checkpoint needs to continue."""

    def __init__(self, data, batch_size, seed, masker, position):
        self.data, self.batch_size, self.seed, self.masker = data, batch_size, seed, masker
        self.n = data["ids"].shape[0]
        self.epoch, self.index = position["epoch"], position["index"]
        self.order_epoch = self.epoch
        self.order = permutation(self.n, SeededRng(mix_seed(seed, 1, self.epoch)))

    @property
    def epochs(self):
        return self.epoch + self.index / self.n

    def next(self, counts):
        if self.index >= self.n:
            self.epoch, self.index = self.epoch + 1, 0
        if self.order_epoch != self.epoch:
            self.order = permutation(self.n, SeededRng(mix_seed(self.seed, 1, self.epoch)))
            self.order_epoch = self.epoch
        end = min(self.n, self.index + self.batch_size)
        rows = self.order[self.index : end]
        batch = self.masker.mask(self.data, rows, SeededRng(mix_seed(self.seed, 2, self.epoch, self.index)), counts)
        self.index = end
        return batch


def eval_batches(data, batch_size, masker, max_batches, eval_seed):
    out = []
    if data is None:
        return out
    rng = SeededRng(eval_seed)
    n = data["ids"].shape[0]
    for i in range(0, n, batch_size):
        if max_batches is not None and len(out) >= max_batches:
            break
        batch = masker.mask(data, list(range(i, min(n, i + batch_size))), rng)
        if len(batch["labels"]):
            out.append(batch)
    return out


# ── The model: Hugging Face BertForMaskedLM's names and math (MLM Studio's server/ml/model/bert.ts) ───────────────


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, ids):
        t = ids.shape[1]
        x = self.word_embeddings(ids) + self.position_embeddings.weight[:t] + self.token_type_embeddings.weight[0]
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).transpose(1, 2)  # [b, heads, t, d]

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias  # [b, heads, t, t]
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, t, h)


class DenseNorm(nn.Module):
    """BertSelfOutput / BertOutput: dense, dropout, LayerNorm(· + residual)."""

    def __init__(self, c, inner):
        super().__init__()
        self.dense = nn.Linear(inner, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = DenseNorm(c, c["hidden_size"])

    def forward(self, x, bias):
        return self.output(getattr(self, "self")(x, bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU, BERT's "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c, c["intermediate_size"])

    def forward(self, x, bias):
        a = self.attention(x, bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, ids, attention):
        bias = ((1 - attention) * MASK_BIAS).to(torch.float32)[:, None, None, :]  # [b, 1, 1, t]
        x = self.embeddings(ids)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocab_size"]))


class Head(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    """Parameter names are Hugging Face's (state_dict keys); the decoder is the word embedding matrix (tied)."""

    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.cls = Head(c)

    def forward(self, ids, attention, positions):
        """Logits [len(positions), vocab] at the flat positions b * seqLen + t."""
        hidden = self.bert(ids, attention)
        rows = hidden.reshape(-1, hidden.shape[-1]).index_select(0, positions)
        t = self.cls.predictions.transform(rows)
        return t @ self.bert.embeddings.word_embeddings.weight.t() + self.cls.predictions.bias


def no_decay(name):
    """Biases and LayerNorm parameters get no weight decay (server/ml/model/naming.ts)."""
    return name.endswith(".bias") or "LayerNorm." in name or name.endswith("LayerNorm")


def stored_transposed(name, shape):
    """Linear weights: [out, in] in Hugging Face and torch, [in, out] in MLM Studio's optimizer state."""
    return len(shape) == 2 and name.endswith(".weight") and "embeddings" not in name


# ── safetensors (the format is a JSON header and raw little-endian data; no package needed) ─────────────────────

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(f"{path} is not a safetensors file (too short)")
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            fail(f"{path}: tensor {name} has dtype {info['dtype']}, which this script does not read")
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4")).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())


# ── The schedule and the plan (server/ml/train/schedule.ts, plan.ts) ──────────────────────────────────────────


def lr_factor(step, progress, s):
    p = min(1.0, max(0.0, progress))
    warm_end = s["warmupFraction"]
    if s["warmupSteps"] is not None:
        if step < s["warmupSteps"]:
            return step / s["warmupSteps"]
        warm_end = 0
    elif p < warm_end:
        return p / warm_end
    if s["schedule"] == "constant":
        return 1.0
    q = 1.0 if warm_end >= 1 else min(1.0, max(0.0, (p - warm_end) / (1 - warm_end)))
    return 1 - q if s["schedule"] == "linear" else 0.5 * (1 + math.cos(math.pi * q))


def progress_of(plan, step, elapsed_ms):
    p = 0.0
    if plan["totalSteps"] is not None:
        p = max(p, step / plan["totalSteps"])
    if plan["budgetMs"] is not None:
        p = max(p, elapsed_ms / plan["budgetMs"])
    return min(1.0, p)


def limit_reached(plan, step, elapsed_ms):
    if plan["totalSteps"] is not None and step >= plan["totalSteps"]:
        return plan["stepLimit"]
    if plan["budgetMs"] is not None and elapsed_ms >= plan["budgetMs"]:
        return "time-budget"
    return None


# ── Checkpoints: MLM Studio's checkpoint folders (server/ml/checkpoint/store.ts) that are also HF folders ────────


def complete_checkpoints(out_dir):
    root = os.path.join(out_dir, "checkpoints")
    found = []
    if os.path.isdir(root):
        for name in os.listdir(root):
            d = os.path.join(root, name)
            if name.startswith("step-") and name[5:].isdigit() and os.path.exists(os.path.join(d, "COMPLETE")):
                found.append((int(name[5:]), d))
    return sorted(found)


# The loss-spike guard (server/ml/train/lossSpike.ts): its state, the running loss's weight, floor and rollback limit.
LOSS_SPIKE_DEFAULTS = {
    "lossEma": None,
    "lossEmaSteps": 0,
    "lossSpikes": 0,
    "spikesInRow": 0,
    "rollbacks": 0,
    "rollbacksInRow": 0,
    "lrScale": 1,
}
LOSS_EMA_BETA = 0.98
LOSS_SPIKE_FLOOR = 1
MAX_ROLLBACKS_IN_ROW = 3


def spike_threshold(cfg, s):
    """The loss above which this step is a spike, or None while the guard is off."""
    if not cfg or s["lossEma"] is None or s["lossEmaSteps"] < cfg["warmupSteps"]:
        return None
    return cfg["factor"] * max(s["lossEma"], LOSS_SPIKE_FLOOR)


def record_applied(s, loss):
    s["lossEma"] = loss if s["lossEma"] is None else LOSS_EMA_BETA * s["lossEma"] + (1 - LOSS_EMA_BETA) * loss
    s["lossEmaSteps"] += 1
    s["spikesInRow"] = 0
    s["rollbacksInRow"] = 0


def empty_state():
    return {
        "format": CHECKPOINT_FORMAT,
        "step": 0,
        "epoch": 0,
        "position": {"epoch": 0, "index": 0},
        "modelRng": None,
        "elapsedMs": 0,
        "trainTokens": 0,
        "maskCounts": {"candidates": 0, "targets": 0, "masked": 0, "random": 0, "kept": 0},
        "skippedSteps": 0,
        "nonFiniteInRow": 0,
        **LOSS_SPIKE_DEFAULTS,
        "bestEvalLoss": None,
        "bestStep": None,
        "evalsWithoutImprovement": 0,
        "evalLoss": None,
        "evalAccuracy": None,
        "savedAt": "",
    }


def save_checkpoint(out_dir, bundle, model, optimizer, names, state, keep):
    """Publishes checkpoints/step-N atomically (temp folder, rename, COMPLETE last); rotates old ones."""
    root = os.path.join(out_dir, "checkpoints")
    os.makedirs(root, exist_ok=True)
    final = os.path.join(root, f"step-{state['step']}")
    tmp = os.path.join(root, f".tmp-step-{state['step']}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    params = dict(model.named_parameters())
    write_safetensors(os.path.join(tmp, "model.safetensors"), {n: params[n] for n in names}, {"format": "pt"})
    moments = {}
    for n in names:
        st = optimizer.state.get(params[n], {})
        for key, suffix in (("exp_avg", ".exp_avg"), ("exp_avg_sq", ".exp_avg_sq")):
            if key in st:
                t = st[key]
                moments[n + suffix] = t.t() if stored_transposed(n, t.shape) else t
    write_safetensors(
        os.path.join(tmp, "optimizer.safetensors"), moments, {"optimizerStep": str(state["step"])} if moments else None
    )
    for f in COPIED_MODEL_FILES:
        src = os.path.join(bundle, "model", f)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(tmp, f))
    with open(os.path.join(tmp, "state.json"), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=2)
        f.write("\n")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    with open(os.path.join(final, "COMPLETE"), "w", encoding="utf-8") as f:
        f.write(datetime.now(timezone.utc).isoformat() + "\n")
    best = state["bestStep"]
    kept = complete_checkpoints(out_dir)
    protect = {s for s, _ in kept[-keep["keepLast"] :]} | ({best} if keep["keepBest"] and best is not None else set())
    for s, d in kept:
        if s not in protect:
            shutil.rmtree(d, ignore_errors=True)
    return final


def write_best(out_dir, step, loss):
    path = os.path.join(out_dir, "checkpoints", "best.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"step": step, "dir": f"step-{step}", "evalLoss": loss}, f)
        f.write("\n")
    os.replace(path + ".tmp", path)


# ── Distributed plumbing ────────────────────────────────────────────────────────────────────────────────────────


def setup_distributed(device_choice):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device_choice == "cuda" or (device_choice == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        fail("--device cuda was asked but torch sees no CUDA device: use --device cpu or a CUDA build of torch")
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return world, rank, device


def all_sum(values, device, world):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if world > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def all_max(value, device, world):
    t = torch.tensor([value], dtype=torch.float64, device=device)
    if world > 1:
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.item()


def local_part(batch, rank, world, device):
    """This process's rows of a global batch (contiguous, as even as possible) as tensors, with its targets.
    A process left without rows runs row 0 with weight 0, so every process takes part in every all-reduce."""
    b, seq_len = batch["input_ids"].shape
    lo, hi = rank * b // world, (rank + 1) * b // world
    weight = 1.0
    if hi <= lo:
        lo, hi, weight = 0, 1, 0.0
    keep = (batch["positions"] >= lo * seq_len) & (batch["positions"] < hi * seq_len)
    positions = batch["positions"][keep] - lo * seq_len
    labels = batch["labels"][keep]
    dummy = len(positions) == 0
    if dummy:  # no target here: one row with weight 0 keeps the graph (and DDP's buckets) complete
        positions, labels, weight = np.array([0]), np.array([batch["input_ids"][lo, 0]]), 0.0
    return {
        "ids": torch.from_numpy(batch["input_ids"][lo:hi]).to(device),
        "attention": torch.from_numpy(batch["attention"][lo:hi]).to(device),
        "positions": torch.from_numpy(positions.astype(np.int64)).to(device),
        "labels": torch.from_numpy(labels.astype(np.int64)).to(device),
        "weight": weight,
    }


# ── Training ────────────────────────────────────────────────────────────────────────────────────────────────────


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="MLM Studio's masked-LM recipe on PyTorch DDP (see README.md)")
    ap.add_argument("--bundle", default=here, help="the bundle folder (default: this script's folder)")
    ap.add_argument("--out", default=None, help="where metrics and checkpoints go (default: BUNDLE/output)")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after N steps (the schedule keeps its plan)")
    ap.add_argument("--skip-checksums", action="store_true", help="check shard sizes only, not their sha256")
    args = ap.parse_args(argv)

    bundle = os.path.abspath(args.bundle)
    out_dir = os.path.abspath(args.out or os.path.join(bundle, "output"))
    try:
        with open(os.path.join(bundle, "bundle.json"), encoding="utf-8") as f:
            recipe = json.load(f)
        with open(os.path.join(bundle, "data", "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        with open(os.path.join(bundle, "model", "config.json"), encoding="utf-8") as f:
            model_config = json.load(f)
    except OSError as e:
        fail(f"{e.filename} cannot be read ({e.strerror}): pass --bundle, the folder `mlm launch` wrote")
    if recipe.get("format") != FORMAT:
        fail(f"bundle.json has format {recipe.get('format')}; this train.py reads format {FORMAT}: relaunch with mlm")

    world, rank, device = setup_distributed(args.device)
    lead = rank == 0
    t = recipe["training"]
    plan = {"totalSteps": None, "stepLimit": None, "budgetMs": None, **recipe["plan"]}  # JSON leaves out undefined
    torch.manual_seed(t["seed"] + rank)

    def log(msg):
        if lead:
            print(f"train.py: {msg}", flush=True)

    train = load_split(bundle, manifest, "train", not args.skip_checksums)
    validation = load_split(bundle, manifest, "validation", not args.skip_checksums)
    if train is None:
        fail("data/manifest.json lists no train shard: relaunch with mlm launch")
    masker = Masker(recipe["data"]["masking"], model_config["vocab_size"], recipe["special"])

    model = BertForMaskedLM(model_config)
    names = [n for n, _ in model.named_parameters()]
    initial = read_safetensors(os.path.join(bundle, "model", "model.safetensors"))
    missing = [n for n in names if n not in initial]
    if missing:
        fail(f"model/model.safetensors lacks {missing[0]} ({len(missing)} missing): relaunch with mlm launch")
    decay_params = [p for n, p in model.named_parameters() if not no_decay(n)]
    plain_params = [p for n, p in model.named_parameters() if no_decay(n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay_params, "weight_decay": t["weightDecay"]}, {"params": plain_params, "weight_decay": 0.0}],
        lr=t["lr"],
        betas=(t["adamBeta1"], t["adamBeta2"]),
        eps=t["adamEpsilon"],
    )

    # A restarted job (same --out) continues from its newest complete checkpoint: weights, moments, data position.
    state = empty_state()
    resumed = complete_checkpoints(out_dir)
    weights = initial
    if resumed:
        step_dir = resumed[-1][1]
        weights = read_safetensors(os.path.join(step_dir, "model.safetensors"))
        with open(os.path.join(step_dir, "state.json"), encoding="utf-8") as f:
            state = {**LOSS_SPIKE_DEFAULTS, **json.load(f)}
    with torch.no_grad():
        params = dict(model.named_parameters())
        for n in names:
            if tuple(weights[n].shape) != tuple(params[n].shape):
                fail(f"weight {n} has shape {list(weights[n].shape)}, the model config needs {list(params[n].shape)}")
            params[n].copy_(weights[n])
    model.to(device)
    if resumed:
        moments = read_safetensors(os.path.join(resumed[-1][1], "optimizer.safetensors"))
        params = dict(model.named_parameters())
        for n in names:
            if n + ".exp_avg" in moments:
                m, v = moments[n + ".exp_avg"], moments[n + ".exp_avg_sq"]
                if stored_transposed(n, params[n].shape):
                    m, v = m.t(), v.t()
                optimizer.state[params[n]] = {
                    "step": torch.tensor(float(state["step"])),
                    "exp_avg": m.contiguous().to(device),
                    "exp_avg_sq": v.contiguous().to(device),
                }
        log(f"resuming from {resumed[-1][1]} (step {state['step']})")
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model

    batch_size, accumulation = t["batchSize"], t["gradAccumulation"]
    stream = TrainStream(train, batch_size, t["seed"], masker, state["position"])
    # Held-out examples are masked with BERT's rates whatever the run trains with (server/ml/data/stream.ts evalMasking).
    eval_masker = Masker(recipe["data"]["evalMasking"], model_config["vocab_size"], recipe["special"])
    evals = eval_batches(validation, batch_size, eval_masker, t["evalBatches"], recipe["data"]["evalMaskSeed"])
    if lead:
        os.makedirs(out_dir, exist_ok=True)
    metrics_path = os.path.join(out_dir, "metrics.jsonl")
    if lead and resumed:  # rows logged after the checkpoint are logged again
        rows = []
        if os.path.exists(metrics_path):
            with open(metrics_path, encoding="utf-8") as f:
                rows = [r for r in (json.loads(line) for line in f if line.strip()) if r["step"] <= state["step"]]
        with open(metrics_path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    elif lead:
        open(metrics_path, "w", encoding="utf-8").close()
    log(
        f"{world} process(es) on {device.type}; {train['ids'].shape[0]} train / "
        f"{0 if validation is None else validation['ids'].shape[0]} held-out examples; "
        f"plan {plan['totalSteps'] if plan['totalSteps'] is not None else 'time budget'} steps, "
        f"batch {batch_size}x{accumulation}, lr {t['lr']} {plan['schedule']['schedule']}"
    )

    def emit(row):
        if lead:
            with open(metrics_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

    elapsed_before = state["elapsedMs"]
    start = time.time()

    def elapsed_ms():
        return elapsed_before + (time.time() - start) * 1000

    def evaluate():
        ddp.eval()
        loss_sum = correct = tokens = 0.0
        with torch.no_grad():
            for batch in evals:
                part = local_part(batch, rank, world, device)
                logits = model(part["ids"], part["attention"], part["positions"])
                ce = F.cross_entropy(logits, part["labels"], reduction="sum") * part["weight"]
                hits = (logits.argmax(1) == part["labels"]).sum().item() * part["weight"]
                loss_sum += ce.item()
                correct += hits
                tokens += len(part["labels"]) * part["weight"]
        loss_sum, correct, tokens = all_sum([loss_sum, correct, tokens], device, world)
        ddp.train()
        loss = loss_sum / tokens if tokens else float("nan")
        return {"loss": loss, "accuracy": correct / tokens if tokens else float("nan"), "perplexity": math.exp(loss)}

    def checkpoint(last_eval):
        if not lead:
            return
        state.update(
            epoch=stream.epochs,
            position={"epoch": stream.epoch, "index": stream.index},
            elapsedMs=elapsed_ms(),
            timeMs=elapsed_ms(),
            evalLoss=last_eval["loss"] if last_eval and last_eval["step"] == state["step"] else None,
            evalAccuracy=last_eval["accuracy"] if last_eval and last_eval["step"] == state["step"] else None,
            savedAt=datetime.now(timezone.utc).isoformat(),
        )
        d = save_checkpoint(out_dir, bundle, model, optimizer, names, state, recipe["checkpoint"])
        if recipe["checkpoint"]["keepBest"] and state["bestStep"] == state["step"]:
            write_best(out_dir, state["step"], state["bestEvalLoss"])
        log(f"checkpoint {d}")

    last_eval = None
    saved_step = state["step"] if resumed else -1

    def run_eval():
        nonlocal last_eval
        if not evals:
            return False
        r = evaluate()
        row = {"split": "eval", "step": state["step"], "epoch": stream.epochs, "time": elapsed_ms(), **r}
        emit(row)
        last_eval = row
        log(f"step {state['step']}: eval loss {r['loss']:.4f}, accuracy {r['accuracy'] * 100:.2f}%")
        improved = math.isfinite(r["loss"]) and (state["bestEvalLoss"] is None or r["loss"] < state["bestEvalLoss"])
        if improved:
            state.update(bestEvalLoss=r["loss"], bestStep=state["step"], evalsWithoutImprovement=0)
        else:
            state["evalsWithoutImprovement"] += 1
        return improved

    def rollback():
        """Weights and optimizer moments back to the newest complete checkpoint (read by the first process and sent
        to the others, which may not see its disk); False when there is none yet."""
        params = dict(model.named_parameters())
        found = torch.tensor([-1], dtype=torch.int64, device=device)
        kept = complete_checkpoints(out_dir) if lead else []
        if kept:
            d = kept[-1][1]
            weights = read_safetensors(os.path.join(d, "model.safetensors"))
            moments = read_safetensors(os.path.join(d, "optimizer.safetensors"))
            with open(os.path.join(d, "state.json"), encoding="utf-8") as f:
                found[0] = json.load(f)["step"]
            with torch.no_grad():
                for n in names:
                    params[n].copy_(weights[n])
                    st = optimizer.state[params[n]]
                    m, v = moments[n + ".exp_avg"], moments[n + ".exp_avg_sq"]
                    if stored_transposed(n, params[n].shape):
                        m, v = m.t(), v.t()
                    st["exp_avg"].copy_(m)
                    st["exp_avg_sq"].copy_(v)
        if world > 1:
            dist.broadcast(found, 0)
            if found.item() >= 0:
                with torch.no_grad():
                    for n in names:
                        dist.broadcast(params[n].data, 0)
                        dist.broadcast(optimizer.state[params[n]]["exp_avg"], 0)
                        dist.broadcast(optimizer.state[params[n]]["exp_avg_sq"], 0)
        if found.item() < 0:
            return None
        for n in names:
            optimizer.state[params[n]]["step"].fill_(float(found.item()))
        return found.item()

    def on_spike(cfg, loss):
        """A skipped spike (server/ml/train/lossSpike.ts onSpike): counted; maxInRow in a row roll back."""
        state["lossSpikes"] += 1
        state["spikesInRow"] += 1
        average = state["lossEma"]
        log(
            f"step {state['step'] + 1} skipped: loss {loss:.3f} is over {cfg['factor']}x the running average "
            f"{average:.3f} (training.lossSpike.factor); {state['spikesInRow']} in a row, {state['lossSpikes']} in all"
        )
        if state["spikesInRow"] < cfg["maxInRow"]:
            return
        state["spikesInRow"] = 0
        state["rollbacks"] += 1
        state["rollbacksInRow"] += 1
        if state["rollbacksInRow"] > MAX_ROLLBACKS_IN_ROW:
            fail(
                f"training stopped at step {state['step']}: the loss stayed over {cfg['factor']}x its running average "
                f"({average:.3f}) through {MAX_ROLLBACKS_IN_ROW} rollbacks in a row; check the corpus, raise "
                "training.lossSpike.factor or set it to null, and launch again. The last good checkpoint is kept."
            )
        state["lrScale"] *= cfg["lrFactor"]
        back = rollback()
        where = f"rolled back to step {back}" if back is not None else "no checkpoint to roll back to yet"
        log(f"{cfg['maxInRow']} loss spikes in a row: {where}; the learning rate is now x{state['lrScale']:.4g}")

    window = {"loss": 0.0, "acc": 0.0, "norm": 0.0, "n": 0, "tokens": 0, "start": time.time()}
    params_list = list(model.parameters())
    stopped_by = None
    while True:
        elapsed = all_max(elapsed_ms(), device, world)  # every process follows the lead's clock
        stopped_by = limit_reached(plan, state["step"], elapsed)
        if stopped_by or (args.max_steps is not None and state["step"] >= args.max_steps):
            stopped_by = stopped_by or "max-steps"
            break
        micro = [stream.next(state["maskCounts"]) for _ in range(accumulation)]
        # Rollbacks after loss spikes lower the schedule's rate for the rest of the run.
        lr = t["lr"] * lr_factor(state["step"], progress_of(plan, state["step"], elapsed), plan["schedule"])
        lr *= state["lrScale"]
        max_loss = spike_threshold(t.get("lossSpike"), state)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss_sum = correct = 0.0
        for i, batch in enumerate(micro):
            targets = len(batch["labels"])
            part = local_part(batch, rank, world, device)
            sync = i == accumulation - 1 or world == 1
            ctx = ddp.no_sync() if (world > 1 and not sync) else _null()
            with ctx:
                logits = ddp(part["ids"], part["attention"], part["positions"])
                ce = F.cross_entropy(logits, part["labels"], reduction="sum") * part["weight"]
                # the full batch's mean over its targets, averaged over the micro-batches; DDP divides by world
                scale = world / (max(targets, 1) * accumulation)
                (ce * scale).backward()
            loss_sum += ce.item() / max(targets, 1) / accumulation
            correct += (logits.argmax(1) == part["labels"]).sum().item() * part["weight"]
        loss, correct = all_sum([loss_sum, correct], device, world)
        all_targets = sum(len(b["labels"]) for b in micro)
        clip = t["clipNorm"]
        # the global norm before clipping; with no clipNorm an infinite limit only measures it
        norm = torch.nn.utils.clip_grad_norm_(params_list, clip if clip is not None else float("inf")).item()
        tokens = sum(b["tokens"] for b in micro)
        state["trainTokens"] += tokens
        if not (math.isfinite(loss) and math.isfinite(norm)) or any(b["labels"].size == 0 for b in micro):
            optimizer.zero_grad(set_to_none=True)
            state["skippedSteps"] += 1
            state["nonFiniteInRow"] += 1
            log(f"step {state['step'] + 1} skipped: non-finite loss or gradient (loss {loss}, grad norm {norm})")
            if state["nonFiniteInRow"] >= t["maxNonFinite"]:
                fail(
                    f"{state['nonFiniteInRow']} steps in a row had a non-finite loss or gradient: lower the learning "
                    "rate (training.lr) and launch again; the last good checkpoint is kept"
                )
            continue
        if max_loss is not None and loss > max_loss:
            optimizer.zero_grad(set_to_none=True)
            on_spike(t["lossSpike"], loss)
            continue
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state["nonFiniteInRow"] = 0
        record_applied(state, loss)
        state["step"] += 1
        step = state["step"]
        window["loss"] += loss
        window["acc"] += correct / all_targets if all_targets else 0
        window["norm"] += norm
        window["n"] += 1
        window["tokens"] += tokens
        at_limit = limit_reached(plan, step, elapsed_ms()) is not None or (
            args.max_steps is not None and step >= args.max_steps
        )
        if step % t["logEvery"] == 0 or at_limit:
            secs = time.time() - window["start"]
            c = state["maskCounts"]
            tt = c["targets"] or 1
            row = {
                "split": "train",
                "step": step,
                "epoch": stream.epochs,
                "time": elapsed_ms(),
                "loss": window["loss"] / window["n"],
                "accuracy": window["acc"] / window["n"],
                "lr": lr,
                "gradNorm": window["norm"] / window["n"],
                "tokensPerSec": window["tokens"] / secs if secs > 0 else None,
                "skippedSteps": state["skippedSteps"],
                "lossSpikes": state["lossSpikes"],
                "rollbacks": state["rollbacks"],
                "targetRate": c["targets"] / c["candidates"] if c["candidates"] else 0,
                "maskRate": c["masked"] / tt,
                "randomRate": c["random"] / tt,
                "keepRate": c["kept"] / tt,
            }
            emit({k: v for k, v in row.items() if v is not None})
            log(f"step {step}: loss {row['loss']:.4f}, accuracy {row['accuracy'] * 100:.2f}%, lr {lr:.3g}")
            window.update(loss=0.0, acc=0.0, norm=0.0, n=0, tokens=0, start=time.time())
        eval_now = step % t["evalEvery"] == 0
        if eval_now:
            run_eval()
        patience = t["earlyStoppingPatience"]
        if eval_now and patience is not None and state["evalsWithoutImprovement"] >= patience:
            stopped_by = "early-stopping"
            log(f"early stopping at step {step}: the eval loss did not improve for {patience} evaluations")
        if step % recipe["checkpoint"]["every"] == 0 or (eval_now and last_eval and last_eval["step"] == step):
            checkpoint(last_eval)
            saved_step = step
        if stopped_by:
            break

    if state["step"] > 0:
        if not last_eval or last_eval["step"] != state["step"]:
            run_eval()
            checkpoint(last_eval)
        elif saved_step != state["step"]:
            checkpoint(last_eval)
    if lead:
        with open(os.path.join(out_dir, "done.json"), "w", encoding="utf-8") as f:
            json.dump(
                {
                    "stoppedBy": stopped_by,
                    "steps": state["step"],
                    "epochs": stream.epochs,
                    "processes": world,
                    "device": device.type,
                    "elapsedMs": elapsed_ms(),
                    "finishedAt": datetime.now(timezone.utc).isoformat(),
                },
                f,
                indent=2,
            )
            f.write("\n")
    log(f"done: {state['step']} steps ({stopped_by}); bring it back with: mlm launch import --bundle {bundle}")
    if world > 1:
        # Every rank's files are written and closed. Then leave without destroy_process_group(): with gloo on Debian's
        # torch 1.13 it (or the process group's destructor at interpreter exit) sometimes never returned after a
        # finished run, and torchrun waited for ever. On gloo the barrier is a monitored one: a missing rank is an
        # error naming it, not a hang.
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=120))
        else:
            dist.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    sys.exit(main())
