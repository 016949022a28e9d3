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

The model and the step are scripts/bench_torch_model.py's, shared with bench_workload_torch.py:
learned positions here, and `--attention sdpa` for PyTorch's fused attention (default "math", the
sequence of operations a typical BERT implementation runs).
"""
import argparse
import json
import sys
import time

try:
    import torch
    from bench_torch_model import EncoderClassifier, optimizer_for, training_step
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


def expected_parameters(c, f, layers, vocabulary=VOCABULARY, max_length=LENGTH, classes=CLASSES):
    """ModelConfiguration.parameterCount of the Swift engine (learned positions, [CLS] pooling)."""
    per_layer = 4 * (c * c + c) + (c * f + f) + (f * c + c) + 2 * 2 * c
    return vocabulary * c + max_length * c + layers * per_layer + 2 * c + (c * c + c) + (c * classes + classes)


def matrix_parameters(model):
    """N of the FLOP accounting: everything but the token-embedding and position tables."""
    return sum(p.numel() for name, p in model.named_parameters()
               if not name.startswith(("word_embeddings.", "position_embeddings.")))


def measure(config, seconds, attention, seed):
    torch.manual_seed(seed)
    c, heads, f, layers = config["width"], config["heads"], config["feedForwardWidth"], config["layers"]
    batch, length = config["batch"], config["tokens"]
    model = EncoderClassifier(VOCABULARY, LENGTH, CLASSES, c, heads, f, layers, config["dropout"],
                              positions="learned", attention=attention)
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
        return training_step(model, optimizer, ids, labels)

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
