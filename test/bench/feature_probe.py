#!/usr/bin/env python3
"""
Linear probes of a pretrained encoder's frozen features on the bundled labelled sample (docs/finetune.md, "Does
pretraining help?"): how much of the genre a logistic regression can read from the features of the pretrained
encoder, of the same architecture at random initialisation (Hugging Face's init: normal(0, initializer_range),
LayerNorm 1/0), and from a bag of word pieces. Plain torch; the folder is an `mlm export` of a pretraining run.

    /usr/bin/python3 test/bench/feature_probe.py HF_MLM_DIR [--seed N]

prints one JSON object: per encoder, the held-out accuracy of a probe on the [CLS] row of the last layer ("cls"),
the mean of the last layer's rows ("mean") and the mean of the embedding layer's output ("embeddings"); and the
bag-of-word-pieces probe. Features are standardised on the training rows; the probe's weight decay is chosen on a
fifth of the training rows, then it is trained on all of them and scored on kjv-genre-eval.csv.
"""
import csv
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "hf"))
import bert_torch as bt  # noqa: E402

SAMPLE = os.path.join(HERE, "..", "fixtures", "labelled-sample")


def rows(name):
    with open(os.path.join(SAMPLE, name), encoding="utf-8") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f)]


def features(model, batches):
    out = {"cls": [], "mean": [], "embeddings": []}
    with torch.no_grad():
        for ids in batches:
            i = torch.tensor([ids])
            e = model.bert.embeddings(i, torch.zeros_like(i))
            h = model.bert.encoder(e, torch.zeros(1, 1, 1, len(ids)))
            out["cls"].append(h[0, 0])
            out["mean"].append(h[0].mean(0))
            out["embeddings"].append(e[0].mean(0))
    return {k: torch.stack(v) for k, v in out.items()}


def fit(x, y, classes, wd, steps=300):
    lin = torch.nn.Linear(x.shape[1], classes)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-2, weight_decay=wd)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(lin(x), y).backward()
        opt.step()
    return lin


def probe(xtr, ytr, xev, yev, classes):
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
    xtr, xev = (xtr - mu) / sd, (xev - mu) / sd
    n = len(ytr) * 4 // 5
    acc = lambda lin, x, y: (lin(x).argmax(-1) == y).float().mean().item()  # noqa: E731
    wd = max((1e-3, 1e-2, 1e-1), key=lambda w: acc(fit(xtr[:n], ytr[:n], classes, w), xtr[n:], ytr[n:]))
    return round(acc(fit(xtr, ytr, classes, wd), xev, yev), 4)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: feature_probe.py HF_MLM_DIR [--seed N]\n")
        return 2
    folder = sys.argv[1]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
    torch.set_num_threads(1)
    train, held = rows("kjv-genre-train.csv"), rows("kjv-genre-eval.csv")
    labels = sorted({label for _, label in train})
    vocab = bt.load_vocab(os.path.join(folder, "vocab.txt"))
    config = bt.read_config(folder)
    n = config["max_position_embeddings"]
    encode = lambda data: [bt.encode(t, vocab)[0][:n] for t, _ in data]  # noqa: E731
    xtr, xev = encode(train), encode(held)
    ytr = torch.tensor([labels.index(label) for _, label in train])
    yev = torch.tensor([labels.index(label) for _, label in held])

    torch.manual_seed(seed)
    random = bt.BertForMaskedLM(config)
    for name, p in random.named_parameters():
        if "LayerNorm" in name:
            torch.nn.init.ones_(p) if name.endswith("weight") else torch.nn.init.zeros_(p)
        elif name.endswith("bias"):
            torch.nn.init.zeros_(p)
        else:
            torch.nn.init.normal_(p, std=config.get("initializer_range", 0.02))
    result = {"folder": folder}
    for name, model in (("pretrained", bt.load_folder(folder)), ("random init", random.eval())):
        a, b = features(model, xtr), features(model, xev)
        result[name] = {k: probe(a[k], ytr, b[k], yev, len(labels)) for k in a}

    def bag(batches):
        x = torch.zeros(len(batches), len(vocab))
        for r, ids in enumerate(batches):
            x[r, ids] = 1.0
        return x

    result["bag of word pieces"] = probe(bag(xtr), ytr, bag(xev), yev, len(labels))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
