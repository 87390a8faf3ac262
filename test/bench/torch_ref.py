"""PyTorch CPU reference for the W1/W2 benchmarks (docs/benchmarks.md), in plain PyTorch.

The model is the W1 BERT written out by hand in the Hugging Face `BertForMaskedLM` layout and parameter
names (post-LN, exact GELU, learned positions, LayerNorm eps 1e-12, MLM head computed only at the masked
positions, decoder tied to the word embeddings plus a bias). Training uses AdamW (weight decay 0.01, not
on biases and LayerNorm) and global-norm clipping 1.0, like the product's training step.

It runs as a server driven by test/bench/torchRef.ts so that the bench can interleave timed windows of
ours and of PyTorch in one invocation: one JSON command per stdin line, one JSON reply per stdout line.
Commands:
  {"cmd": "info"}                                   -> versions, threads, the OpenBLAS kernel that runs
  {"cmd": "w1_init", "config": {...}, "batchesFile": path, "seed": n}
  {"cmd": "w1_steps", "n": k}                       -> {"ms": wall time of k training steps, "loss": ...}
  {"cmd": "w2_init", "config": {...}, "seed": n, "weightsFile": path|null}
  {"cmd": "w2_calls", "inputIds": [...], "maskIndex": i, "n": k, "topK": 5}
                                                    -> {"latenciesMs": [...], "top": [[id, prob], ...]}
  {"cmd": "quality_train", "config": {...}, "trainFile": path, "evalFile": path, "seconds": s, ...}
                                                    -> BERT's original recipe for a wall-clock budget, then held-out
                                                       loss and masked-token accuracy on the given eval batches
  {"cmd": "exit"}
Thread settings are the caller's: it sets OPENBLAS_NUM_THREADS and unsets OPENBLAS_CORETYPE/L2_SIZE.
"""

import ctypes
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocabSize"], c["hiddenSize"])
        self.position_embeddings = nn.Embedding(c["maxPositionEmbeddings"], c["hiddenSize"])
        self.token_type_embeddings = nn.Embedding(c["typeVocabSize"], c["hiddenSize"])
        self.LayerNorm = nn.LayerNorm(c["hiddenSize"], eps=c["layerNormEps"])
        self.dropout = nn.Dropout(c["hiddenDropoutProb"])

    def forward(self, input_ids):  # [B, T] -> [B, T, H]
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(pos)[None]
        x = x + self.token_type_embeddings.weight[0]  # token type 0 everywhere, as the product does
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hiddenSize"]
        self.heads = c["numAttentionHeads"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attentionProbsDropoutProb"])

    def forward(self, x, mask_bias):  # x [B, T, H], mask_bias [B, 1, 1, T] -> [B, T, H]
        b, t, h = x.shape
        d = h // self.heads

        def split(y):  # [B, T, H] -> [B, heads, T, d]
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask_bias  # [B, heads, T, T]
        probs = self.dropout(F.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v)  # [B, heads, T, d]
        return ctx.transpose(1, 2).reshape(b, t, h)


class DenseLayerNorm(nn.Module):
    """HF BertSelfOutput / BertOutput: dense → dropout → LayerNorm(x + residual)."""

    def __init__(self, c, n_in):
        super().__init__()
        self.dense = nn.Linear(n_in, c["hiddenSize"])
        self.LayerNorm = nn.LayerNorm(c["hiddenSize"], eps=c["layerNormEps"])
        self.dropout = nn.Dropout(c["hiddenDropoutProb"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseLayerNorm(c, c["hiddenSize"])

    def forward(self, x, mask_bias):
        return self.output(self.self(x, mask_bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hiddenSize"], c["intermediateSize"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c, c["intermediateSize"])

    def forward(self, x, mask_bias):
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["numHiddenLayers"])])

    def forward(self, x, mask_bias):
        for layer in self.layer:
            x = layer(x, mask_bias)
        return x


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, attention_mask):  # -> [B, T, H]
        mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * -1e9  # as the product
        return self.encoder(self.embeddings(input_ids), mask_bias)


class Transform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hiddenSize"], c["hiddenSize"])
        self.LayerNorm = nn.LayerNorm(c["hiddenSize"], eps=c["layerNormEps"])

    def forward(self, x):
        return self.LayerNorm(F.gelu(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = Transform(c)
        self.bias = nn.Parameter(torch.zeros(c["vocabSize"]))


class Cls(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = Predictions(c)


class BertForMaskedLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.cls = Cls(c)
        std = c["initializerRange"]
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def logits_at(self, input_ids, attention_mask, flat_positions):  # -> [numTargets, vocab]
        hidden = self.bert(input_ids, attention_mask)
        h = hidden.reshape(-1, hidden.shape[-1]).index_select(0, flat_positions)  # [numTargets, H]
        h = self.cls.predictions.transform(h)
        return F.linear(h, self.bert.embeddings.word_embeddings.weight, self.cls.predictions.bias)


def adamw(model, lr):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)


def openblas_info():
    """Which OpenBLAS library and core kernel this process loaded (threadpoolctl, else ctypes)."""
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("internal_api") == "openblas":
                return {
                    "source": "threadpoolctl",
                    "library": lib.get("filepath"),
                    "version": lib.get("version"),
                    "kernel": lib.get("architecture"),
                    "threads": lib.get("num_threads"),
                    "threading": lib.get("threading_layer"),
                }
    except ImportError:
        pass
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f if "blas" in line.split()[-1]})
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return {
                "source": "ctypes",
                "library": path,
                "kernel": lib.openblas_get_corename().decode(),
                "threads": lib.openblas_get_num_threads(),
            }
        except (OSError, AttributeError):
            continue
    return {"source": "none", "library": ", ".join(paths) or None, "kernel": None,
            "warning": "no OpenBLAS loaded: the reference BLAS is slow; apt-get install libopenblas0-pthread"}


def load_hf_state(model, path):
    """Weights written by the bench from the product's toHfState(): JSON index + raw float32 blob."""
    with open(path + ".json") as f:
        index = json.load(f)
    blob = open(path, "rb").read()
    params = dict(model.named_parameters())
    loaded = 0
    for name, meta in index.items():
        key = name if name in params else "bert." + name if "bert." + name in params else None
        if name.endswith("decoder.weight") or name.endswith("decoder.bias"):
            continue  # tied to the word embeddings / the same tensor as cls.predictions.bias
        if key is None:
            raise KeyError(f"weight {name} from the product has no counterpart in the PyTorch reference")
        t = torch.frombuffer(bytearray(blob[meta["offset"]:meta["offset"] + 4 * meta["size"]]), dtype=torch.float32)
        with torch.no_grad():
            params[key].copy_(t.view(meta["shape"]))
        loaded += 1
    missing = sorted(set(params) - {n if n in params else "bert." + n for n in index})
    return loaded, missing


class Server:
    def __init__(self):
        self.w1 = None
        self.w2 = None

    def info(self, _):
        torch.set_num_threads(1)
        return {
            "torch": torch.__version__,
            "torchThreads": torch.get_num_threads(),
            "openblas": openblas_info(),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS")},
        }

    def w1_init(self, m):
        torch.manual_seed(m["seed"])
        c = m["config"]
        model = BertForMaskedLM(c)
        model.train()
        opt = adamw(model, m.get("lr", 1e-3))
        with open(m["batchesFile"]) as f:
            raw = json.load(f)
        b, t = raw["batchSize"], raw["seqLen"]
        batches = [
            (
                torch.tensor(x["inputIds"], dtype=torch.long).view(b, t),
                torch.tensor(x["attentionMask"], dtype=torch.long).view(b, t),
                torch.tensor(x["maskedPositions"], dtype=torch.long),
                torch.tensor(x["labels"], dtype=torch.long),
            )
            for x in raw["batches"]
        ]
        self.w1 = {"model": model, "opt": opt, "batches": batches, "i": 0, "clip": m.get("clipNorm", 1.0)}
        return {"parameters": sum(p.numel() for p in model.parameters())}

    def w1_steps(self, m):
        s = self.w1
        model, opt = s["model"], s["opt"]
        t0, c0 = time.perf_counter(), time.process_time()
        loss, correct, labels = None, 0, []
        for _ in range(m["n"]):
            ids, mask, pos, labels = s["batches"][s["i"] % len(s["batches"])]
            s["i"] += 1
            opt.zero_grad(set_to_none=True)
            logits = model.logits_at(ids, mask, pos)  # [numTargets, vocab]
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            correct = (logits.detach().argmax(1) == labels).sum().item()  # the product reports accuracy too
            if s["clip"]:
                torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
            opt.step()
            loss = loss.item()
        return {
            "ms": (time.perf_counter() - t0) * 1000.0,
            "cpuMs": (time.process_time() - c0) * 1000.0,  # all threads of this process
            "steps": m["n"],
            "loss": loss,
            "accuracy": correct / len(labels),
        }

    def w2_init(self, m):
        torch.manual_seed(m["seed"])
        model = BertForMaskedLM(m["config"])
        model.eval()
        reply = {}
        if m.get("weightsFile"):
            loaded, missing = load_hf_state(model, m["weightsFile"])
            reply = {"loaded": loaded, "missing": missing}
        self.w2 = model
        return reply

    def w2_calls(self, m):
        model = self.w2
        lat, cpu = [], []
        top = None
        with torch.inference_mode():
            for _ in range(m["n"]):
                t0, c0 = time.perf_counter(), time.process_time()
                ids = torch.tensor([m["inputIds"]], dtype=torch.long)  # [1, T]
                mask = torch.ones_like(ids)
                logits = model.logits_at(ids, mask, torch.tensor([m["maskIndex"]]))  # [1, vocab]
                probs, idx = torch.topk(F.softmax(logits[0], dim=-1), m.get("topK", 5))
                top = list(zip(idx.tolist(), probs.tolist()))
                lat.append((time.perf_counter() - t0) * 1000.0)
                cpu.append((time.process_time() - c0) * 1000.0)
        return {"latenciesMs": lat, "cpuMs": cpu, "top": top}

    def quality_train(self, m):
        """The quality benchmark's reference (test/bench/qualityBench.ts): BERT's original pretraining recipe — 15 %
        dynamic masking (80 % [MASK], 10 % random, 10 % kept), AdamW at `lr` with linear warmup over `warmupRatio` of
        the budget then linear decay to 0 at its end, batch `batchSize`, dropout as in `config`, clipping 1.0 — on the
        given token ids for `seconds` of training (wall clock), then held-out loss and accuracy on the given
        fixed-mask batches (the product's own, EVAL_MASK_SEED)."""
        torch.manual_seed(m["seed"])
        gen = torch.Generator().manual_seed(m["seed"])
        model = BertForMaskedLM(m["config"])
        model.train()
        lr, warm, bsz, budget = m["lr"], m["warmupRatio"], m["batchSize"], m["seconds"]
        opt = adamw(model, lr)
        t = m["seqLen"]
        ids = torch.frombuffer(bytearray(open(m["trainFile"], "rb").read()), dtype=torch.int32).view(-1, t).long()
        lengths = torch.frombuffer(bytearray(open(m["trainFile"] + ".lengths", "rb").read()), dtype=torch.int32).long()
        n = ids.shape[0]
        special = m["special"]  # [pad, unk, cls, sep, mask]
        attn = torch.arange(t)[None, :] < lengths[:, None]  # [n, T]
        maskable = attn.clone()
        for sid in special:
            maskable &= ids != sid
        first_word, vocab, mask_id = max(special) + 1, m["config"]["vocabSize"], m["maskId"]
        perm, at = torch.randperm(n, generator=gen), 0
        steps, tokens, loss_sum, loss_n = 0, 0, 0.0, 0
        t0 = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - t0
            if elapsed >= budget:
                break
            p = elapsed / budget
            factor = p / warm if p < warm else max(0.0, (1 - p) / (1 - warm))
            for g in opt.param_groups:
                g["lr"] = lr * factor
            if at >= n:
                perm, at = torch.randperm(n, generator=gen), 0
            rows = perm[at:at + bsz]
            at += bsz
            x, a, can = ids[rows], attn[rows], maskable[rows]
            target = can & (torch.rand(x.shape, generator=gen) < m["maskProbability"])
            if not target.any():  # as the product: a batch without a target gets one
                target.view(-1)[can.view(-1).nonzero()[0]] = True
            r = torch.rand(x.shape, generator=gen)
            inp = x.clone()
            inp[target & (r < 0.8)] = mask_id
            rnd = target & (r >= 0.8) & (r < 0.9)
            inp[rnd] = torch.randint(first_word, vocab, (int(rnd.sum()),), generator=gen)
            flat = target.view(-1).nonzero().squeeze(1)
            labels = x.view(-1)[flat]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model.logits_at(inp, a.long(), flat), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            steps += 1
            tokens += int(a.sum())
            loss_sum, loss_n = loss_sum + loss.item(), loss_n + 1
        train_seconds = time.perf_counter() - t0
        model.eval()
        with open(m["evalFile"]) as f:
            raw = json.load(f)
        b, t_eval = raw["batchSize"], raw["seqLen"]
        nll, correct, count = 0.0, 0, 0
        with torch.inference_mode():
            for x in raw["batches"]:
                k = len(x["inputIds"]) // t_eval
                logits = model.logits_at(
                    torch.tensor(x["inputIds"], dtype=torch.long).view(k, t_eval),
                    torch.tensor(x["attentionMask"], dtype=torch.long).view(k, t_eval),
                    torch.tensor(x["maskedPositions"], dtype=torch.long),
                )
                labels = torch.tensor(x["labels"], dtype=torch.long)
                nll += F.cross_entropy(logits, labels, reduction="sum").item()
                correct += int((logits.argmax(1) == labels).sum())
                count += len(x["labels"])
        return {
            "steps": steps,
            "tokens": tokens,
            "trainSeconds": train_seconds,
            "meanTrainLoss": loss_sum / max(1, loss_n),
            "evalLoss": nll / max(1, count),
            "accuracy": correct / max(1, count),
            "evalTokens": count,
        }


def main():
    server = Server()
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg["cmd"] == "exit":
            break
        try:
            reply = getattr(server, msg["cmd"])(msg)
            reply["ok"] = True
        except Exception as e:  # report to the bench, which names the cause
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
