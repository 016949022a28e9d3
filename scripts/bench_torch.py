#!/usr/bin/env python3
"""Training speed of PyTorch on the CPU for the same encoder classifier our Swift engine trains.

    python3 scripts/bench_torch.py --threads 2 --seconds 8 [--json out.json]

Two configurations are timed (A: width 128, B: width 768; both 3 layers, 128 tokens, dropout 0.1).
A step is the whole of training: forward, cross-entropy, backward, global-norm clipping to 1.0,
AdamW update, zero_grad. Random full-length token ids (seeded); 2 warm-up steps, then at least
--seconds and at least 3 timed steps.

Model FLOPs follow the accounting of Sources/GeneCoding/Bench/EngineBenchmark.swift:
    6 x N x tokens + 12 x L x T x C x tokens
with N the parameters of everything except the token-embedding and position tables.

Exit status 3 means "PyTorch is not available" (the caller does not treat it as a failure).

Architecture choice: the encoder block is written out with plain torch.nn modules (nn.Linear,
nn.LayerNorm, nn.Dropout) rather than nn.TransformerEncoderLayer, because
  * our engine has separate Q, K and V projections, as BERT does; nn.MultiheadAttention packs
    them into one [3C, C] in_proj (the same parameter count, but a different matrix product);
  * with the default "math" attention below, the block is the same sequence of operations a
    typical BERT implementation runs (Hugging Face's eager BertSelfAttention): QK^T/sqrt(D) by
    torch.matmul, an additive padding mask, F.softmax, dropout on the probabilities, times V;
  * nn.TransformerEncoderLayer may take a fused "fast path" in some modes, which would make the
    comparison depend on when that path is eligible.
`--attention sdpa` instead uses F.scaled_dot_product_attention(..., dropout_p=p) with the same
mask: the same mathematics, but PyTorch chooses a fused kernel. The default is "math".
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

VOCABULARY = 4096
LENGTH = 128
CLASSES = 2
CLS_ID, SEP_ID, PAD_ID, FIRST_ORDINARY_ID = 1, 2, 3, 5  # DNABERT-2's special ids, as our tokenizers use

CONFIGURATIONS = [
    dict(label="width128", width=128, heads=4, feedForwardWidth=512, layers=3, batch=32, tokens=LENGTH, dropout=0.1),
    dict(label="width768", width=768, heads=12, feedForwardWidth=3072, layers=3, batch=8, tokens=LENGTH, dropout=0.1),
]


class SelfAttention(nn.Module):
    def __init__(self, width, heads, dropout, attention):
        super().__init__()
        self.heads, self.head_size = heads, width // heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width)
        self.value = nn.Linear(width, width)
        self.output = nn.Linear(width, width)
        self.probability_dropout = nn.Dropout(dropout)
        self.dropout_p = dropout
        self.attention = attention

    def split(self, x):  # [B, T, C] -> [B, H, T, D]
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_size).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        if self.attention == "sdpa":
            context = F.scaled_dot_product_attention(
                q, k, v, attn_mask=additive_mask, dropout_p=self.dropout_p if self.training else 0.0)
        else:  # the standard math path
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
            probabilities = self.probability_dropout(F.softmax(scores, dim=-1))
            context = torch.matmul(probabilities, v)
        b, _, t, _ = context.shape
        return self.output(context.transpose(1, 2).reshape(b, t, self.heads * self.head_size))


class EncoderBlock(nn.Module):
    """Post-norm (BERT): h = LN1(x + drop(Attn(x))); y = LN2(h + drop(W2 GELU(W1 h + b1) + b2))."""

    def __init__(self, width, heads, feed_forward, dropout, attention):
        super().__init__()
        self.attention = SelfAttention(width, heads, dropout, attention)
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = nn.LayerNorm(width, eps=1e-12)
        self.intermediate = nn.Linear(width, feed_forward)
        self.feed_forward_output = nn.Linear(feed_forward, width)
        self.feed_forward_dropout = nn.Dropout(dropout)
        self.output_norm = nn.LayerNorm(width, eps=1e-12)

    def forward(self, x, additive_mask):
        h = self.attention_norm(x + self.attention_dropout(self.attention(x, additive_mask)))
        f = self.feed_forward_output(F.gelu(self.intermediate(h)))  # exact erf GELU (approximate='none')
        return self.output_norm(h + self.feed_forward_dropout(f))


class EncoderClassifier(nn.Module):
    def __init__(self, width, heads, feed_forward, layers, dropout, attention,
                 vocabulary=VOCABULARY, max_length=LENGTH, classes=CLASSES):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocabulary, width)
        self.position_embeddings = nn.Embedding(max_length, width)
        self.embedding_norm = nn.LayerNorm(width, eps=1e-12)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(width, heads, feed_forward, dropout, attention) for _ in range(layers))
        self.pooler = nn.Linear(width, width)
        self.pooled_dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, classes)
        for module in self.modules():  # BERT's initialisation (irrelevant to speed)
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, ids):
        t = ids.shape[1]
        positions = torch.arange(t, device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(positions)[None]
        x = self.embedding_dropout(self.embedding_norm(x))
        # Padding mask over keys, added to the scores: 0 for real tokens, a large negative for [PAD].
        # (The benchmark batches have no padding, but the engine applies its mask too.)
        padding = ids == PAD_ID
        additive_mask = torch.zeros(padding.shape, dtype=x.dtype, device=x.device)
        additive_mask = additive_mask.masked_fill(padding, torch.finfo(x.dtype).min)[:, None, None, :]
        for block in self.blocks:
            x = block(x, additive_mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return self.classifier(self.pooled_dropout(pooled))


def expected_parameters(c, f, layers, vocabulary=VOCABULARY, max_length=LENGTH, classes=CLASSES):
    """ModelConfiguration.parameterCount of the Swift engine (learned positions, [CLS] pooling)."""
    per_layer = 4 * (c * c + c) + (c * f + f) + (f * c + c) + 2 * 2 * c
    return vocabulary * c + max_length * c + layers * per_layer + 2 * c + (c * c + c) + (c * classes + classes)


def matrix_parameters(model):
    """N of the FLOP accounting: everything but the token-embedding and position tables."""
    return sum(p.numel() for name, p in model.named_parameters()
               if not name.startswith(("word_embeddings.", "position_embeddings.")))


def optimizer_for(model):
    # Weight decay on weights (linear matrices and the embedding tables, as the engine does),
    # none on biases or LayerNorm parameters. PyTorch's default AdamW implementation for CPU tensors.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        is_norm = name.split(".")[-2].endswith("norm")
        (no_decay if name.endswith("bias") or is_norm else decay).append(p)
    return torch.optim.AdamW([dict(params=decay, weight_decay=0.01), dict(params=no_decay, weight_decay=0.0)],
                             lr=1e-4, betas=(0.9, 0.999), eps=1e-8)


def measure(config, seconds, attention, seed):
    torch.manual_seed(seed)
    c, heads, f, layers = config["width"], config["heads"], config["feedForwardWidth"], config["layers"]
    batch, length = config["batch"], config["tokens"]
    model = EncoderClassifier(c, heads, f, layers, config["dropout"], attention)
    model.train()
    total = sum(p.numel() for p in model.parameters())
    expected = expected_parameters(c, f, layers)
    if total != expected:
        raise SystemExit(f"parameter count {total} differs from the engine's {expected} for {config['label']}")
    n = matrix_parameters(model)
    optimizer = optimizer_for(model)

    generator = torch.Generator().manual_seed(seed + 1)
    body = torch.randint(FIRST_ORDINARY_ID, VOCABULARY, (batch, length - 2), generator=generator)
    ids = torch.cat([torch.full((batch, 1), CLS_ID), body, torch.full((batch, 1), SEP_ID)], dim=1)
    labels = torch.arange(batch) % CLASSES

    def step():
        loss = F.cross_entropy(model(ids), labels)  # mean over the batch
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    for _ in range(2):  # warm-up: allocator, thread pool, optimizer state
        step()
    steps, elapsed = 0, 0.0
    start = time.perf_counter()
    while steps < 3 or elapsed < seconds:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
    per_step = elapsed / steps
    tokens_per_step = batch * length
    flops = 6 * n * tokens_per_step + 12 * layers * length * c * tokens_per_step
    result = dict(config)
    result.update(parameters=n, parametersTotal=total, steps=steps, secondsPerStep=per_step,
                  tokensPerSecond=tokens_per_step / per_step, modelGflops=flops / per_step / 1e9)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (torch.set_num_threads)")
    parser.add_argument("--seconds", type=float, default=8.0, help="minimum timed seconds per configuration")
    parser.add_argument("--json", metavar="PATH", help="also write the results here as JSON")
    parser.add_argument("--attention", choices=["math", "sdpa"], default="math",
                        help="math: matmul + softmax + dropout (typical BERT, default); sdpa: F.scaled_dot_product_attention")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    try:
        torch.set_num_interop_threads(1)  # must precede any parallel work; refused after it
    except RuntimeError:
        pass
    torch.set_num_threads(args.threads)

    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} intra-op thread(s), "
          f"{torch.get_num_interop_threads()} inter-op thread(s), attention: {args.attention}")
    results = []
    for config in CONFIGURATIONS:
        result = measure(config, args.seconds, args.attention, args.seed)
        results.append(result)
        print(f"  {result['label']}: {result['steps']} steps, {result['secondsPerStep']:.4f} s/step", flush=True)

    header = f"{'label':<10} {'C':>4} {'H':>3} {'F':>5} {'L':>2} {'B':>3} {'T':>4} {'N (no emb.)':>12} {'total':>10} " \
             f"{'steps':>5} {'s/step':>8} {'tokens/s':>9} {'GFLOP/s':>8}"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['label']:<10} {r['width']:>4} {r['heads']:>3} {r['feedForwardWidth']:>5} {r['layers']:>2} "
              f"{r['batch']:>3} {r['tokens']:>4} {r['parameters']:>12,} {r['parametersTotal']:>10,} {r['steps']:>5} "
              f"{r['secondsPerStep']:>8.4f} {r['tokensPerSecond']:>9.0f} {r['modelGflops']:>8.2f}")

    if args.json:
        with open(args.json, "w") as out:
            json.dump(dict(torch_version=torch.__version__, threads=args.threads, attention=args.attention,
                           results=results), out, indent=2)
            out.write("\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
