#!/usr/bin/env python3
"""Training speed of PyTorch on the chapters' real work: the batches `genecoding bench` wrote.

    python3 scripts/bench_workload_torch.py WORKLOAD.json --threads 2 [--json out.json]

WORKLOAD.json (Sources/GeneCoding/Bench/WorkloadBenchmark.swift) holds the model's shape and one
epoch of training batches in order: per batch, each sequence's token ids ([CLS] ... [SEP], unpadded)
and its label. This script builds the same encoder classifier the Swift engine trains (post-norm
BERT blocks with separate Q, K, V projections; RoPE with adjacent channel pairs, or learned, none;
exact-erf GELU; dropout on the embeddings' output, the attention probabilities, both residual
branches and the head's input; [CLS] tanh pooler), pads each batch to its longest sequence with an
attention mask, and times the same steps as the engine: forward, cross-entropy, backward, global
gradient-norm clipping at 1.0, AdamW (lr 1e-4, weight decay 0.01 on weights), zero_grad. One warm-up
step, then the whole epoch. It prints and writes real (unpadded) tokens per second.

Exit status 3 means PyTorch is not available (the caller does not treat it as a failure).
"""
import argparse
import json
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as error:  # ImportError, or a broken install failing to load its libraries
    print(f"PyTorch not available: cannot import torch ({type(error).__name__}: {error})")
    sys.exit(3)

PAD_ID = 3


class Block(nn.Module):
    def __init__(self, width, heads, feed_forward, dropout, encoding):
        super().__init__()
        self.heads, self.head_size, self.encoding = heads, width // heads, encoding
        self.query, self.key, self.value = nn.Linear(width, width), nn.Linear(width, width), nn.Linear(width, width)
        self.output = nn.Linear(width, width)
        self.norm1, self.norm2 = nn.LayerNorm(width, eps=1e-12), nn.LayerNorm(width, eps=1e-12)
        self.intermediate, self.down = nn.Linear(width, feed_forward), nn.Linear(feed_forward, width)
        self.dropout = nn.Dropout(dropout)

    def rotate(self, x, cos, sin):  # x [B, H, T, D]; adjacent pairs (2i, 2i+1), as RoFormer writes it
        even, odd = x[..., 0::2], x[..., 1::2]
        return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)

    def forward(self, x, mask, rotary):
        b, t, c = x.shape
        split = lambda y: y.view(b, t, self.heads, self.head_size).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        if self.encoding == "rope":
            q, k = self.rotate(q, *rotary), self.rotate(k, *rotary)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + mask
        context = torch.matmul(self.dropout(torch.softmax(scores, dim=-1)), v)
        a = self.dropout(self.output(context.transpose(1, 2).reshape(b, t, c)))
        h = self.norm1(x + a)
        f = self.dropout(self.down(F.gelu(self.intermediate(h))))
        return self.norm2(h + f)


class Classifier(nn.Module):
    def __init__(self, w):
        super().__init__()
        width, self.encoding = w["width"], w["position_encoding"]
        self.tokens = nn.Embedding(w["vocab_size"], width)
        self.positions = nn.Embedding(w["max_length"], width) if self.encoding == "learned" else None
        self.norm = nn.LayerNorm(width, eps=1e-12)
        self.blocks = nn.ModuleList(Block(width, w["heads"], w["feed_forward"], w["dropout"], self.encoding) for _ in range(w["layers"]))
        self.pooler, self.head = nn.Linear(width, width), nn.Linear(width, w["num_labels"])
        self.dropout = nn.Dropout(w["dropout"])
        d = width // w["heads"]
        angles = torch.arange(w["max_length"])[:, None] * torch.pow(10000.0, -torch.arange(0, d, 2) / d)[None, :]
        self.register_buffer("cos", torch.cos(angles), persistent=False)
        self.register_buffer("sin", torch.sin(angles), persistent=False)
        for module in self.modules():  # BERT's initialisation, as the engine's
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, ids, lengths):
        b, t = ids.shape
        x = self.tokens(ids)
        if self.positions is not None:
            x = x + self.positions.weight[:t]
        x = self.dropout(self.norm(x))
        mask = torch.zeros(b, 1, 1, t)
        mask.masked_fill_(torch.arange(t)[None, None, None, :] >= lengths[:, None, None, None], float("-inf"))
        rotary = (self.cos[:t], self.sin[:t])
        for block in self.blocks:
            x = block(x, mask, rotary)
        return self.head(self.dropout(torch.tanh(self.pooler(x[:, 0]))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    with open(args.workload) as f:
        w = json.load(f)
    batches = []
    for batch in w["batches"]:
        t = max(len(s) for s in batch["ids"])
        ids = torch.full((len(batch["ids"]), t), PAD_ID, dtype=torch.long)
        for i, s in enumerate(batch["ids"]):
            ids[i, :len(s)] = torch.tensor(s)
        lengths = torch.tensor([len(s) for s in batch["ids"]])
        batches.append((ids, lengths, torch.tensor(batch["labels"]), int(lengths.sum())))
    model = Classifier(w)
    model.train()
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "norm" in n]
    optimizer = torch.optim.AdamW([dict(params=decay, weight_decay=0.01), dict(params=no_decay, weight_decay=0.0)],
                                  lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

    def step(ids, lengths, labels):
        loss = F.cross_entropy(model(ids, lengths), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step(*batches[0][:3])  # warm-up
    start = time.perf_counter()
    for ids, lengths, labels, _ in batches:
        step(ids, lengths, labels)
    seconds = time.perf_counter() - start
    tokens = sum(b[3] for b in batches)
    result = dict(label=w["label"], torch_version=torch.__version__, steps=len(batches), secondsPerEpoch=seconds,
                  tokensPerSecond=tokens / seconds, threads=args.threads)
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
